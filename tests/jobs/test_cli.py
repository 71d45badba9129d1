"""`optera leaks scan` and `optera leaks list`, with --json."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.jobs.sighting import minute_of
from appliance.store import workspaces
from appliance.store.db import open_engine
from tests.jobs.history import History


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "optera.toml"
    path.write_text(
        f'[server]\ndata_dir = "{tmp_path / "cli-data"}"\n'
        f'[leaks.oversized_context]\nmodels_file = "{tmp_path / "none.toml"}"\n'
    )
    return path


def run(config: Path, capsys, *argv: str):  # type: ignore[no-untyped-def]
    assert main(["--config", str(config), *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_scan_prints_what_it_opened_and_list_shows_it(config, tmp_path, capsys):
    engine = open_engine(tmp_path / "cli-data")
    acme = workspaces.create(engine, "acme")
    workspaces.create(engine, "quiet")
    history = History(engine)
    minute = minute_of(datetime.now(UTC)) - timedelta(minutes=3)
    history.add(
        history.record(
            minute + timedelta(seconds=2 * n),
            workspace_id=acme.id,
            feature_tag="planner",
            conversation_hash="c-loop",
        )
        for n in range(12)
    )
    engine.dispose()

    opened = run(config, capsys, "leaks", "scan", "--json")
    again = run(config, capsys, "leaks", "scan", "--json")
    listed = run(config, capsys, "leaks", "list", "--workspace", "acme", "--json")
    quiet = run(config, capsys, "leaks", "list", "--workspace", "quiet", "--json")

    assert [(f["pattern"], f["action"], f["count"]) for f in opened] == [
        ("runaway_prompt", "opened", 12)
    ]
    assert again == []
    assert [(f["id"], f["workspace_id"]) for f in listed] == [
        (opened[0]["id"], acme.id)
    ]
    assert "action" not in listed[0]
    assert quiet == []


def test_list_of_an_unknown_workspace_fails_in_json(config, capsys):
    assert (
        main(
            ["--config", str(config), "leaks", "list", "--workspace", "nope", "--json"]
        )
        == 1
    )
    assert json.loads(capsys.readouterr().out) == {"error": "No workspace 'nope'."}
