"""The ingest flow's file list: each file with the kind the user declared and
the site it is for."""

from pathlib import Path

import pytest

from windpower.orchestration.flows.ingest import new_files

pytestmark = pytest.mark.unit


def test_new_files_declare_kind_by_variable_and_inbox_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = tmp_path / "export.csv"
    export.write_text("timestamp,turbine_id,wind_speed\n")
    monkeypatch.setenv("SCADA_PATH", str(export))
    for name in ("TURBINES_PATH", "FORECAST_PATH"):
        monkeypatch.delenv(name, raising=False)
    inbox = tmp_path / "inbox"
    (inbox / "forecasts").mkdir(parents=True)
    (inbox / "forecasts" / "gfs.csv").write_text("timestamp,turbine_id\n")
    (inbox / "dropped.csv").write_text("timestamp,turbine_id,power_kw\n")
    (inbox / ".partial.csv").write_text("")

    kinds = {path.name: kind for path, kind, _ in new_files(inbox)}

    assert kinds == {"export.csv": "scada", "gfs.csv": "forecast",
                     "dropped.csv": None}


def test_new_files_take_their_site_from_the_inbox_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SCADA_PATH", "TURBINES_PATH", "FORECAST_PATH"):
        monkeypatch.delenv(name, raising=False)
    inbox = tmp_path / "inbox"
    (inbox / "north" / "scada").mkdir(parents=True)
    (inbox / "north" / "scada" / "n.csv").write_text("timestamp,turbine_id\n")
    (inbox / "south").mkdir()
    (inbox / "south" / "s.csv").write_text("timestamp,turbine_id,power_kw\n")
    (inbox / "root.csv").write_text("timestamp,turbine_id,power_kw\n")

    found = {path.name: (kind, site) for path, kind, site in new_files(inbox)}

    assert found == {"n.csv": ("scada", "north"), "s.csv": (None, "south"),
                     "root.csv": (None, "default")}
