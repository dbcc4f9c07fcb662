"""The house's arrows point down: each package imports only the floors below it
(docs/architecture.md). Read from the source's own import statements."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
PACKAGE = Path(__file__).resolve().parents[1] / "src" / "windpower"
# What each part of the package must never import (by module-name prefix).
FORBIDDEN = {
    "windpower.contract": ("windpower.store", "windpower.datasets",
                           "windpower.pipelines", "windpower.orchestration"),
    "windpower.store": ("windpower.datasets", "windpower.pipelines",
                        "windpower.orchestration"),
    "windpower.pipelines": ("windpower.store", "windpower.datasets",
                            "windpower.orchestration"),
    "windpower.datasets": ("windpower.pipelines", "windpower.orchestration"),
    # The forecast page reads the record; it needs none of the machinery above.
    "windpower.forecast_ui": ("windpower.datasets", "windpower.pipelines",
                              "windpower.orchestration"),
}
PIPELINES = ("data_processing", "training", "inference", "monitoring")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def _wrong_way() -> list[str]:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        banned = [b for owner, bans in FORBIDDEN.items()
                  if module.startswith(owner) for b in bans]
        if module.startswith("windpower.pipelines."):
            own = module.split(".")[2]
            banned += [f"windpower.pipelines.{p}" for p in PIPELINES if p != own]
        wrong += [f"{module} imports {name}" for name in sorted(_imports(path))
                  if name.startswith(tuple(banned))]
    return wrong


def test_no_package_imports_a_floor_above_it_or_a_sibling_pipeline() -> None:
    assert _wrong_way() == []


def test_nothing_imports_the_forecast_page() -> None:
    users = [f"{_module(path)}" for path in PACKAGE.rglob("*.py")
             if not _module(path).startswith("windpower.forecast_ui")
             and any(n.startswith("windpower.forecast_ui") for n in _imports(path))]
    assert users == []


def test_the_layer_check_sees_imports() -> None:
    """The check reads real imports (the store's ingest uses the contract), so
    an empty list above means no wrong-way arrow, not an unread tree."""
    store = _imports(PACKAGE / "store" / "ingest.py")
    assert any(name.startswith("windpower.contract") for name in store)
