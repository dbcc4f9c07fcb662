"""The mutation table: each row an edit that breaks one promise, and the tests
that must then fail. A test suite that stays green under such an edit does not
guard the promise.

    python -m tests.mutations            # every row (in .ci/run, in the trainer)
    python -m tests.mutations --only 3   # one row, by number
    python -m tests.mutations --list

Each row is applied to a scratch copy of the project (never to this checkout),
only its tests run (``pytest -x``, in a fork of this process, which has imported
the libraries they need), and the row is *caught* when they fail, *survived* when
they pass; tests that cannot run (a collection error) are an error, never caught.
The tests of every row first run once unmutated (split over the copies, side by
side) and must pass, so a row is never counted as caught by a test that fails
anyway; ``--tests-passed`` skips that pass where they have just passed on the same
code (.ci/run runs the table after the suite and the browser tests). Exit status:
0 when every row is caught, 1 when one survived or errs, 2 when the unmutated
tests fail or a row's original text is not found exactly once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Mutant:
    """An edit (``original`` replaced by ``replacement`` in ``file``), the promise
    it breaks, and the pytest node ids or paths that must fail."""

    file: str
    original: str
    replacement: str
    promise: str
    tests: tuple[str, ...]


def _m(file: str, original: str, replacement: str, promise: str,
       *tests: str) -> Mutant:
    return Mutant(file, original, replacement, promise, tests)


ORCH = "src/windpower/orchestration/"
FLOWS_TEST = "tests/orchestration/test_flows.py::"
STORE_INGEST_TEST = "tests/store/test_ingest.py::"
MONITORING = "src/windpower/pipelines/monitoring/"
FARM_QUALITY_TEST = ("tests/integration/test_monitoring_pipeline.py::"
                     "test_monitoring_scores_the_farm_total_per_band_and_never_"
                     "names_it")
ROWS = [
    _m(ORCH + "serving/events.py", "DEFAULT_COOLDOWN = timedelta(hours=12)",
       "DEFAULT_COOLDOWN = timedelta(hours=1)",
       "degradation retrains at most once per 12 h",
       "tests/orchestration/test_flow_specs.py::"
       "test_training_retrains_on_degradation_at_most_once_per_12_hours"),
    _m("services/prefect/monitoring_flow.py",
       "    emit_degradation_event(site, summary, stamp.isoformat())",
       "    stamp = None",
       "monitoring emits windpower.model.degraded on evidence",
       FLOWS_TEST + "test_monitoring_flow_emits_degradation_event_only_when_degraded"),
    _m("src/windpower/pipelines/inference/nodes.py",
       '"p90_power_kw": _column(predicted, "p90_power_kw")',
       '"p90_power_kw": _column(predicted, "predicted_power_kw")',
       "P90 is stored from the model's P90",
       "tests/pipelines/test_inference.py::"
       "test_predict_power_rows_carry_issue_horizon_version_and_run"),
    _m("src/windpower/store/ingest.py",
       '"SELECT 1 FROM ingested_files WHERE sha256 = %s", (digest,)',
       '"SELECT 1 FROM ingested_files WHERE name = %s", (path.name,)',
       "a file is ingested once per content, whatever its name",
       STORE_INGEST_TEST
       + "test_ingest_file_same_bytes_under_another_name_are_skipped"),
    _m(ORCH + "flows/guard.py", "    with run_exclusively(spec.limit_for(site)):",
       "    if True:", "each flow runs one at a time per site (its one-run slot)",
       FLOWS_TEST + "test_each_flow_holds_its_one_slot_while_its_pipelines_run"),
    _m(ORCH + "flows/specs.py",
       '        return f"windpower-{self.kind}" + (f"-{site}" if site else "")',
       '        return f"windpower-{self.kind}"',
       "a site's slot does not hold up another site",
       FLOWS_TEST + "test_a_site_held_by_one_run_leaves_another_site_free"),
    _m("src/windpower/store/readers.py",
       '"SELECT * FROM readings WHERE site_id = %(site)s AND {} AND {} "',
       '"SELECT * FROM readings WHERE {} AND {} "',
       "features of one site never mix in another site's readings",
       "tests/store/test_sites.py::"
       "test_features_of_one_site_are_unchanged_by_adding_another"),
    _m(ORCH + "serving/events.py",
       '                    "site": "{{ event.payload.site }}"}', "}",
       "an event starts a run of its own site only",
       "tests/orchestration/test_cli.py::"
       "test_serve_config_triggers_carry_the_event_time"),
    _m(ORCH + "flows/retention.py", 'SQL("DELETE FROM {} WHERE {} < %s")',
       'SQL("DELETE FROM {} WHERE {} < %s - interval \'3650 days\'")',
       "rows past their retention are deleted",
       "tests/store/test_retention.py::"
       "test_prune_store_deletes_only_rows_past_the_limit"),
    _m(ORCH + "setup/crashes.py", "MISSED_HEARTBEATS = 3", "MISSED_HEARTBEATS = 30",
       "a killed run is marked Crashed within three heartbeats",
       "tests/orchestration/test_setup.py::"
       "test_crash_detection_marks_a_run_crashed_after_three_missed_heartbeats"),
    _m("conf/base/parameters_monitoring.yml", "    lookback_days: 2",
       "    lookback_days: 30", "the concept detector judges the last 2 days",
       "tests/pipelines/test_monitoring.py::"
       "test_concept_detector_names_a_fault_two_days_old"),
    _m("conf/base/parameters_monitoring.yml", "    enter: 1.5", "    enter: 15.0",
       "the performance detector fires at 1.5x the training holdout's error",
       "tests/pipelines/test_monitoring.py::"
       "test_performance_detector_enters_at_one_and_a_half_times_the_holdout"),
    _m("src/windpower/store/load.py", "WHEN MATCHED AND ROW({}) IS DISTINCT FROM ",
       "WHEN MATCHED AND ROW({}) IS NOT DISTINCT FROM ",
       "an upsert of rows already stored writes nothing",
       "tests/store/test_load.py::test_upsert_frame_second_load_writes_nothing"),
    _m("src/windpower/store/load.py",
       'RECORD_COLUMNS = ("as_of", "flow_run_id", "mlflow_run_id")',
       "RECORD_COLUMNS = ()", "a re-run at another as_of adds nothing",
       "tests/store/test_load.py::test_upsert_frame_predictions_and_quality_tables"),
    _m("src/windpower/pipelines/training/evaluation.py",
       "    elif candidate < current - margin:", "    elif True:",
       "the champion alias moves only to a better model",
       "tests/pipelines/test_training.py::test_decide_alias",
       "tests/pipelines/test_recent_level.py"),
    _m("docker/postgres/init-databases.sh", 'REVOKE ALL ON DATABASE :"db" FROM PUBLIC;',
       "SELECT 1;", "each database role reaches only its own database",
       "tests/integration/test_least_privilege.py"),
    _m(ORCH + "serving/outcome.py", "EXIT_REFUSED = 3", "EXIT_REFUSED = 1",
       "run exits 3 when an input file is refused",
       "tests/orchestration/test_cli.py::"
       "test_run_exit_codes_say_refused_input_apart_from_a_failed_run"),
    _m("src/windpower/contract/header.py", '    elif "issued_at" in columns:',
       '    elif "wind_speed" in columns:',
       "a SCADA file missing power_kw is refused, never stored as a forecast",
       "tests/test_contract.py::test_detect_kind_refuses_scada_missing_power_kw"),
    _m("services/prefect/ingest_flow.py",
       'conf, rules = parameters["ingest"], parameters["data_processing"]',
       'conf, rules = parameters["ingest"], load_parameters()["data_processing"]',
       "an environment or a params override rules ingest as it rules training",
       "tests/integration/test_training_and_inference.py::"
       "test_ingest_flow_rules_rows_by_the_runs_parameters_as_training_does"),
    _m("src/windpower/model_inputs.py", "allow_exact_matches=False",
       "allow_exact_matches=True",
       "no reading from the issue time on reaches a feature",
       "tests/pipelines/test_forecaster.py::"
       "test_measured_at_issue_never_sees_a_reading_from_the_issue_time_on"),
    _m("src/windpower/contract/rules.py",
       'mark(typed["timestamp"] > latest, "future_timestamp")',
       'mark(typed["timestamp"] > latest + pd.Timedelta(days=3650), '
       '"future_timestamp")', "SCADA stamped after as_of is rejected",
       "tests/test_bad_input.py::"
       "test_bad_input_case_has_its_outcome[scada-future_timestamps]"),
    _m("src/windpower/contract/rules.py", 'mark(turbine < 0, "unknown_turbine")',
       'mark(turbine < -1, "unknown_turbine")',
       "rows of an unknown turbine are rejected",
       "tests/test_bad_input.py::"
       "test_bad_input_case_has_its_outcome[scada-unknown_turbine]"),
    _m("src/windpower/store/readers.py", "'\"timestamp\" <= %(end)s'",
       "'\"timestamp\" < %(end)s'",
       "a run at as_of sees the reading stamped at as_of (one window convention)",
       "tests/store/test_readers.py::test_read_readings_round_trip_in_a_window"),
    _m("src/windpower/store/readers.py",
       '"r.turbine_id = t.turbine_id AND r.\\"timestamp\\" <= %(as_of)s)")',
       '"r.turbine_id = t.turbine_id AND %(as_of)s IS NOT NULL)")',
       "a run sees the turbines that existed at its as_of",
       "tests/store/test_readers.py::"
       "test_read_turbines_at_as_of_are_those_that_existed_then"),
    _m("src/windpower/pipelines/training/nodes.py",
       '"training_input": "measured wind only (no forecast archive)"',
       '"training_input": "weather forecasts as issued"',
       "training without a forecast archive says it fell back to measured wind",
       "tests/pipelines/test_forecaster.py::"
       "test_training_without_an_archive_falls_back_and_says_so"),
    _m("prefect.yaml", "  - name: training-pool\n",
       "  - name: training-pool\n    schedules: [{cron: '0 * * * *'}]\n",
       "a flow's schedule lives in its declaration only",
       "tests/orchestration/test_flow_specs.py::"
       "test_pool_deployments_run_declared_flows_without_schedules_of_their_own"),
    _m("src/windpower/clock.py", 'stamp.tz_localize("UTC") if stamp.tz is None',
       'stamp.tz_localize("Europe/Berlin") if stamp.tz is None',
       "a run's naive as_of is UTC",
       "tests/test_clock.py::"
       "test_run_time_reads_naive_times_as_utc_and_converts_others"),
    _m("src/windpower/forecast_ui/static/chart.js",
       'y: col(rows, "p90_kw"), mode: "lines",',
       'y: col(rows, "p50_kw"), mode: "lines",',
       "the forecast page draws P90 from the P90 column",
       "tests/forecast_ui/test_browser.py::"
       "test_chart_draws_the_stored_band_and_p50"),
    _m("src/windpower/store/ingest.py",
       "from windpower.store.readers import read_turbines\n",
       "from windpower.store.readers import read_turbines\n"
       "from windpower.datasets.files import read_rows as _read_rows  # noqa\n",
       "the store never imports a floor above it (no wrong-way arrows)",
       "tests/test_layers.py"),
    _m(MONITORING + "nodes.py",
       '    rows = rows.loc[rows["measured"] == rows["turbines_summed"]]',
       '    rows = rows.loc[rows["measured"] >= 1]',
       "the farm total is scored only where every turbine it summed was measured",
       FARM_QUALITY_TEST),
    _m(MONITORING + "report.py", '"band": _band_means(own.loc[~is_farm]),',
       '"band": _band_means(own),',
       "the turbines' per-band figures never count the farm total",
       FARM_QUALITY_TEST),
    _m(MONITORING + "detection.py",
       '    scored = scored.loc[scored["turbine_id"] != FARM]', "",
       "the detectors never name the farm total '*' as a turbine",
       "tests/pipelines/test_monitoring.py::"
       "test_the_farm_total_is_no_turbine_to_the_detectors_or_their_figures"),
    _m("src/windpower/forecast_model.py", 'if spec.get("by_at_issue"):', "if False:",
       "forecasts without the at-issue measurements get the bands calibrated "
       "without them", "tests/pipelines/test_forecaster.py::"
       "test_bands_without_at_issue_columns_hold_as_many_actuals"),
]


PROJECT = Path(__file__).resolve().parents[1]
COPIED = ("src", "tests", "services", "conf", "docker", "pyproject.toml",
          "prefect.yaml", "docker-compose.yml", ".env.example")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "data",
                                 "mlruns", "mlartifacts")


def scratch_copy(target: Path) -> Path:
    """The project's code, tests and configuration under ``target``."""
    for name in COPIED:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=IGNORED)
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


# pytest's exit status when tests ran and some failed; 2-5 mean they did not run
# to a verdict (collection error, internal error, usage, none collected).
TESTS_FAILED = 1


def preload() -> None:
    """Import the libraries every row's tests import, once: each row's tests then
    run in a fork of this process instead of a new Python (~5 s of imports a row).
    Never windpower or the tests: each row imports those from its own copy."""
    import fastapi  # noqa: F401, PLC0415
    import kedro.framework.session  # noqa: F401, PLC0415
    import matplotlib.pyplot  # noqa: F401, PLC0415
    import mlflow  # noqa: F401, PLC0415
    import pandas  # noqa: F401, PLC0415
    import prefect.flows  # noqa: F401, PLC0415
    import prefect.server.api.server  # noqa: F401, PLC0415
    import psycopg2  # noqa: F401, PLC0415
    import pytest  # noqa: F401, PLC0415
    import sklearn.ensemble  # noqa: F401, PLC0415
    import testcontainers.core.container  # noqa: F401, PLC0415


def start_tests(root: Path, tests: tuple[str, ...], log: Path) -> int:
    """Fork a process running ``pytest -x`` on ``tests`` in ``root`` (output to
    ``log``); returns its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.chdir(root)
        sys.dont_write_bytecode = True
        # This runner's own `tests` package is the checkout's: the copy's is
        # imported instead (pytest puts ``root`` first on the path).
        for name in [m for m in sys.modules if m.split(".")[0] == "tests"]:
            del sys.modules[name]
        import pytest  # noqa: PLC0415

        code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-W",
                                "ignore", *tests]))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def finished(pid: int) -> int:
    """Wait for the forked tests ``pid``; their exit status."""
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def tail(log: Path) -> str:
    return "\n".join(log.read_text().splitlines()[-15:])


def apply(root: Path, mutant: Mutant) -> str:
    """Apply the edit in ``root``; returns the file's text before it."""
    path = root / mutant.file
    text = path.read_text()
    found = text.count(mutant.original)
    if found != 1:
        raise SystemExit(f"{mutant.file}: the original text is found {found} times, "
                         f"not once: {mutant.original!r}")
    path.write_text(text.replace(mutant.original, mutant.replacement))
    return text


def run_unmutated(roots: list[Path], tests: tuple[str, ...], tmp: Path) -> str:
    """Every row's tests on the unmutated code, split over ``roots`` and run side by
    side; the log's tail of a part that did not pass, or ``""``."""
    running = {}
    for j, root in enumerate(roots):
        if part := tests[j::len(roots)]:
            log = tmp / f"unmutated-{j}.log"
            running[log] = start_tests(root, part, log)
    codes = {log: finished(pid) for log, pid in running.items()}
    return "\n".join(tail(log) for log, code in codes.items() if code != 0)


def try_rows(roots: list[Path], rows: list[tuple[int, Mutant]]) -> list[int]:
    """Apply, test and undo each row, one at a time in each of ``roots`` (the
    rows' tests run side by side); the survivors."""
    pending, free, running, survived = list(rows), list(roots), {}, []
    while pending or running:
        while pending and free:
            (i, mutant), root = pending.pop(0), free.pop()
            before = apply(root, mutant)
            pid = start_tests(root, mutant.tests, root / "mutant.log")
            running[pid] = (i, mutant, root, before, time.monotonic())
        pid, status = os.wait()
        if pid not in running:  # an orphan of some test (this may be PID 1)
            continue
        i, mutant, root, before, started = running.pop(pid)
        (root / mutant.file).write_text(before)
        free.append(root)
        code = os.waitstatus_to_exitcode(status)
        if code != TESTS_FAILED:
            survived.append(i)  # passed, or never ran: neither catches the edit
        verdict = {0: "survived", TESTS_FAILED: "caught"}.get(code, f"error {code}")
        seconds = time.monotonic() - started
        print(f"{i:2d}. {verdict:8s} {seconds:5.0f} s  {mutant.promise}",  # noqa: T201
              flush=True)
    return sorted(survived)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="+", help="row numbers (from 1)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="rows tried at once, each in its own copy")
    parser.add_argument("--list", action="store_true", help="list the rows")
    parser.add_argument("--tests-passed", action="store_true",
                        help="skip the unmutated pass: the rows' tests have just "
                        "passed on this code (CI: the suite and the browser tests)")
    args = parser.parse_args()
    rows = [(i, m) for i, m in enumerate(ROWS, 1) if not args.only or i in args.only]
    if args.list:
        for i, mutant in rows:
            print(f"{i:2d}. {mutant.promise} ({mutant.file})")  # noqa: T201
        return 0
    started = time.monotonic()
    preload()
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        roots = [scratch_copy(Path(tmp) / str(j)) for j in range(args.jobs)]
        for _, mutant in rows:  # every original is there before anything runs
            (roots[0] / mutant.file).write_text(apply(roots[0], mutant))
        tests = tuple(dict.fromkeys(t for _, m in rows for t in m.tests))
        if args.tests_passed:
            print(f"unmutated: {len(tests)} tests, not run again: they have just "  # noqa: T201
                  "passed (--tests-passed)", flush=True)
        elif failed := run_unmutated(roots, tests, Path(tmp)):
            print(f"unmutated: {len(tests)} tests, failed:\n{failed}")  # noqa: T201
            return 2
        else:
            print(f"unmutated: {len(tests)} tests in {len(roots)} parts, passed, "  # noqa: T201
                  f"{time.monotonic() - started:.0f} s", flush=True)
        survived = try_rows(roots, rows)
    print(f"\n{len(rows)} rows, {len(rows) - len(survived)} caught, "  # noqa: T201
          f"{len(survived)} survived {survived or ''} in "
          f"{time.monotonic() - started:.0f} s ({args.jobs} at a time)")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
