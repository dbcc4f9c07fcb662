"""Session fixtures started in the background, as soon as collection shows that a
selected test needs them (while the rest is still being collected).

Starting the test servers takes ~20 s, mostly spent waiting on containers, and the
suite runs on one core of two: started in a thread while the server-free tests
run (tests/conftest.py orders the tests that need these fixtures last), the
servers are ready when the first test needs them. A fixture's error is raised in
the tests that use it, as for any fixture.

    @background_fixture("servers")   # the background fixtures it needs
    def killed_run(servers): ...     # runs in a thread; returns the value

What a start function leaves running it hands to ``stop_at_session_end``: the
fixture itself has no teardown (it may be started and never requested). It runs
beside the tests, in their process, while they change os.environ and the working
directory: the processes it starts itself get ``session_environment()`` and an
explicit working directory. Processes that library or product code starts for it
(Prefect's test server, ``prefect deploy`` in the set-up) see the live ones; no
variable the tests change matters to them.
"""

import functools
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import pytest
from _pytest.mark import MarkMatcher  # -m's own matcher (no public equivalent)
from _pytest.mark.expression import Expression

# The environment as the session began. Tests change os.environ and the working
# directory (monkeypatch) while background fixtures run: a process one of them
# starts gets this copy and an explicit working directory, never the live ones.
_SESSION_ENVIRONMENT = dict(os.environ)
_STARTS: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {}
_started: dict[str, Future] = {}
_stops: list[Callable[[], object]] = []
# Enough threads for every start to run at once (they mostly wait on containers);
# a start that waits for another only waits for one already begun (submitted first).
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="background-fixture")


def background_fixture(*after: str) -> Callable[[Callable[..., Any]], Any]:
    """A session fixture computed in a thread, after the background fixtures
    named in ``after`` (passed to it in that order)."""
    def decorate(start: Callable[..., Any]) -> Any:
        name = start.__name__
        # The same file imported twice (a conftest also imported by a test module)
        # registers the same start again: the first is kept.
        known = _STARTS.setdefault(name, (start, after))[0]
        assert known.__code__.co_filename == start.__code__.co_filename, (
            f"two background fixtures named {name}")

        @pytest.fixture(scope="session", name=name)
        def awaited() -> Any:
            _begin(name)  # already begun unless requested in an unforeseen way
            return _started[name].result()

        awaited.__doc__ = start.__doc__
        return awaited
    return decorate


def needs_background(item: pytest.Item) -> bool:
    return not _STARTS.keys().isdisjoint(item.fixturenames)


def begin_for(items: list[pytest.Item]) -> None:
    """Start every background fixture that one of ``items`` needs (none when
    only collecting)."""
    if items and _runs_no_test(items[0].config):
        return
    for item in items:
        for name in _STARTS.keys() & set(item.fixturenames):
            _begin(name)


def begin_while_collecting(item: pytest.Item) -> None:
    """Start the background fixtures of a test just collected, unless an option
    (-k, --deselect, -m) may still drop it: then ``begin_for`` starts what the
    kept tests need once collection ends. Collecting takes ~10 s on one core:
    time in which the servers start on the other."""
    options = item.config.option
    narrowed = options.keyword or getattr(options, "deselect", None)
    if not needs_background(item) or narrowed:
        return
    if options.markexpr and not _marks_keep(options.markexpr, item):
        return
    begin_for([item])


def _runs_no_test(config: pytest.Config) -> bool:
    """--collect-only, --fixtures, --fixtures-per-test, --setup-plan."""
    options = config.option
    return any(getattr(options, name, False) for name in (
        "collectonly", "showfixtures", "show_fixtures_per_test", "setupplan"))


@functools.cache
def _mark_expression(text: str) -> Expression:
    return Expression.compile(text)


def _marks_keep(markexpr: str, item: pytest.Item) -> bool:
    """Whether ``-m markexpr`` keeps ``item``, evaluated as pytest does (a
    malformed one keeps nothing here: pytest reports it after collection)."""
    matcher = MarkMatcher.from_markers(item.iter_markers())
    try:
        return _mark_expression(markexpr).evaluate(matcher)
    except SyntaxError:
        return False


def _begin(name: str) -> None:
    if name in _started:
        return
    start, after = _STARTS[name]
    for dependency in after:
        _begin(dependency)
    _started[name] = _pool.submit(
        lambda: start(*(_started[dependency].result() for dependency in after)))


def wait_for_users_of(name: str) -> None:
    """Wait for the started background fixtures that need fixture ``name``."""
    wait([_started[user] for user, (_, after) in _STARTS.items()
          if user in _started and name in after])


def session_environment() -> dict[str, str]:
    """A copy of ``os.environ`` as it was when the session began."""
    return dict(_SESSION_ENVIRONMENT)


def stop_at_session_end(stop: Callable[[], object]) -> None:
    _stops.append(stop)


def temporary_directory(prefix: str) -> Path:
    """A new directory, removed at the end of the session (a background fixture
    has no ``tmp_path``)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    stop_at_session_end(lambda: shutil.rmtree(directory, ignore_errors=True))
    return directory


def stop_all() -> None:
    """Wait for the starts still running, then stop what they left, newest first
    (also when the wait is interrupted)."""
    try:
        for future in _started.values():
            future.cancel()  # not begun yet: never will
        running = [name for name, future in _started.items() if not future.done()]
        if running:
            print(f"\nbackground fixtures: waiting for {', '.join(running)}")
        wait(_started.values())
    finally:
        while _stops:
            try:
                _stops.pop()()
            except Exception as error:  # noqa: BLE001 (one failed stop must not keep the rest running)
                print(f"background fixture: stopping failed: {error!r}")
