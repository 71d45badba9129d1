"""The operator CLI: each command with --json prints only JSON, on the server's
database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.store.db import open_engine
from appliance.store.models import UsageRecord
from appliance.store.usage import write_batch
from appliance.store.workspaces import PLANS


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """The CLI as typed: exit code, stdout and stderr of exactly these arguments."""
    monkeypatch.setenv("OPTERA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OPTERA_CONFIG", raising=False)

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture
def run(cli):  # type: ignore[no-untyped-def]
    def invoke(*args: str) -> tuple[int, object]:
        code, out, _ = cli(*args, "--json")
        return code, json.loads(out)

    return invoke


def test_workspace_lifecycle_through_the_cli(run):
    code, ws = run("workspace", "create", "--name", "acme", "--plan", "growth")
    assert code == 0
    assert ws["plan"] == "growth"
    assert ws["quota"] == 500_000
    assert ws["subscription"] == "none"
    _, active = run("subscription", "activate", ws["id"])
    assert active["subscription"] == "active"
    _, custom = run(
        "workspace",
        "set-plan",
        "acme",
        "--plan",
        "custom",
        "--quota",
        "42",
        "--burst",
        "5",
    )
    assert custom["quota"] == 42
    assert custom["burst_rate"] == 5.0
    _, listed = run("workspace", "list")
    assert [w["name"] for w in listed] == ["acme"]
    _, canceled = run("subscription", "cancel", "acme")
    assert canceled["subscription"] == "canceled"


def test_key_is_printed_once_and_listed_without_secret(run):
    _, ws = run("workspace", "create", "--name", "acme")
    _, issued = run("key", "issue", ws["id"])
    assert issued["key"].startswith("opk_")
    assert issued["prefix"] == issued["key"][:12]
    _, listed = run("key", "list", ws["id"])
    assert "key" not in listed[0]
    assert issued["key"] not in json.dumps(listed)
    _, revoked = run("key", "revoke", issued["id"])
    assert revoked["revoked"] is True
    assert revoked["live"] is False


def test_errors_are_json_with_nonzero_exit(run):
    code, body = run("subscription", "activate", "nope")
    assert code == 1
    assert "No workspace" in body["error"]
    code, body = run("workspace", "create", "--name", "x", "--plan", "custom")
    assert code == 1


def test_usage_totals_per_tag_are_exact(run, tmp_path):
    engine = open_engine(Path(tmp_path / "data"))
    rows = [
        UsageRecord(
            request_id=f"r{i}",
            workspace_id="ws",
            feature_tag=tag,
            prompt_tokens=10,
            completion_tokens=5,
            cost_usd=Decimal("0.0001"),
            raw_cost_usd=Decimal("0.0003"),
            cost_saved_usd=Decimal("0.0002"),
            tokens_saved=7,
        )
        for i, tag in enumerate(["chat", "chat", "search"])
    ]
    write_batch(engine, rows, {})
    _, totals = run("usage", "--by", "feature")
    assert totals == [
        {
            "feature": "chat",
            "requests": 2,
            "prompt_tokens": 20,
            "completion_tokens": 10,
            "tokens_saved": 14,
            "cost_usd": "0.0002",
            "raw_cost_usd": "0.0006",
            "cost_saved_usd": "0.0004",
            "cache_hits": 0,
        },
        {
            "feature": "search",
            "requests": 1,
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "tokens_saved": 7,
            "cost_usd": "0.0001",
            "raw_cost_usd": "0.0003",
            "cost_saved_usd": "0.0002",
            "cache_hits": 0,
        },
    ]


def test_usage_period_takes_plain_dates_as_utc_days(run, tmp_path):
    engine = open_engine(Path(tmp_path / "data"))
    days = [
        datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
        datetime(2026, 12, 1, 0, 1, tzinfo=UTC),
    ]
    rows = [
        UsageRecord(
            request_id=f"r{i}", workspace_id="ws", feature_tag="f", created_at=day
        )
        for i, day in enumerate(days)
    ]
    write_batch(engine, rows, {})
    code, totals = run("usage", "--by", "feature", "--since", "2026-12-01")
    assert code == 0
    assert [t["requests"] for t in totals] == [1]
    code, totals = run("usage", "--by", "feature", "--until", "2026-12-01T00:00:00")
    assert [t["requests"] for t in totals] == [1]


def test_usage_period_that_is_not_a_date_is_a_clean_error(run):
    code, body = run("usage", "--by", "feature", "--since", "garbage")
    assert code == 1
    assert "--since takes an ISO date" in body["error"]


def test_unreadable_configuration_is_a_clean_error(run, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTERA_CONFIG", str(tmp_path / "missing.toml"))
    code, body = run("workspace", "list")
    assert code == 1
    assert body["error"].startswith("the configuration cannot be used")
    monkeypatch.delenv("OPTERA_CONFIG")
    monkeypatch.setenv("OPTERA_PORT", "abc")
    code, body = run("workspace", "list")
    assert code == 1
    assert "port" in body["error"].lower()


@pytest.mark.parametrize(
    "setting",
    [
        "keepalive_expiry_s = -1",
        "keepalive_expiry_s = inf",
        "total_timeout_s = 0",
        "idle_timeout_s = nan",
        "connect_timeout_s = -5",
        "max_connections = 0",
    ],
)
def test_an_upstream_limit_that_cannot_work_is_refused(
    run, tmp_path, monkeypatch, setting
):
    config = tmp_path / "optera.toml"
    config.write_text(f"[upstream]\n{setting}\n")
    monkeypatch.setenv("OPTERA_CONFIG", str(config))
    code, body = run("workspace", "list")
    assert code == 1
    assert body["error"].startswith("the configuration cannot be used")
    assert setting.split(" = ")[0] in body["error"]


@pytest.mark.parametrize("quota", ["-5", "1000000000001", "99999999999999999999999"])
def test_quota_out_of_range_refused_for_every_plan(run, quota):
    run("workspace", "create", "--name", "acme")
    refused = {
        "error": "The quota must be a number of requests a month from 0 to "
        f"1,000,000,000,000, not {quota}."
    }
    for plan in PLANS:
        assert run(
            "workspace", "set-plan", "acme", "--plan", plan, "--quota", quota
        ) == (1, refused)
    assert run("workspace", "create", "--name", "b", "--quota", quota) == (1, refused)
    _, listed = run("workspace", "list")
    assert [(w["name"], w["plan"], w["quota"], w["custom_quota"]) for w in listed] == [
        ("acme", "starter", 100_000, None)
    ]


@pytest.mark.parametrize("burst", ["0", "-1", "nan", "inf", "1e+300"])
def test_burst_limit_that_is_not_positive_and_finite_is_refused(run, burst):
    run("workspace", "create", "--name", "acme")
    code, body = run(
        "workspace", "set-plan", "acme", "--plan", "growth", "--burst", burst
    )
    assert (code, body) == (
        1,
        {
            "error": "The burst limit must be a positive number of requests a second, "
            f"at most 1,000,000, not {burst}."
        },
    )
    _, listed = run("workspace", "list")
    assert [(w["plan"], w["burst_rate"]) for w in listed] == [("starter", None)]


def test_options_are_not_abbreviated(cli):
    code, out, _ = cli("workspace", "list", "--jso", "--json")
    assert code == 2
    assert json.loads(out) == {"error": "unrecognized arguments: --jso"}


def test_empty_config_path_is_a_usage_error(run):
    assert run("workspace", "list", "--config=") == (
        2,
        {"error": "--config needs the path of a config file"},
    )


def test_workspace_name_that_is_not_text_is_refused(run):
    undecodable = b"caf\xed\xa0\x80".decode("utf-8", "surrogateescape")
    assert run("workspace", "create", "--name", undecodable) == (
        1,
        {"error": "A workspace name must be text (valid UTF-8)."},
    )
    assert run("workspace", "list") == (0, [])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["workspace", "set-plan", "acme", "--plan", "bogus", "--json"],
            "argument --plan: invalid choice: 'bogus' "
            "(choose from 'starter', 'growth', 'enterprise', 'custom')",
        ),
        (
            [
                "--json",
                "workspace",
                "set-plan",
                "acme",
                "--plan",
                "starter",
                "--quota",
                "abc",
            ],
            "argument --quota: invalid int value: 'abc'",
        ),
        (
            ["usage", "--json", "--by", "color"],
            "argument --by: invalid choice: 'color' "
            "(choose from 'feature', 'team', 'user')",
        ),
        (
            ["workspace", "create", "--json"],
            "the following arguments are required: --name",
        ),
        (
            ["--json", "frobnicate"],
            "argument COMMAND: invalid choice: 'frobnicate' (choose from "
            "'serve', 'workspace', 'subscription', 'key', 'usage', 'leaks')",
        ),
        (
            ["workspace", "list", "--json", "--config"],
            "argument --config: expected one argument",
        ),
        (["workspace", "--json"], "a command is needed; `optera --help` lists them"),
    ],
)
def test_usage_error_under_json_is_one_json_line_on_stdout(cli, argv, message):
    code, out, err = cli(*argv)
    assert (code, out, err) == (2, json.dumps({"error": message}) + "\n", "")


def test_usage_error_without_json_prints_usage_on_stderr_only(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exit_:
        main(["usage", "--by", "color"])
    captured = capsys.readouterr()
    assert exit_.value.code == 2
    assert captured.out == ""
    assert captured.err == (
        "usage: optera usage [-h] [--json] [--config CONFIG] "
        "[--by {feature,team,user}] [--workspace WORKSPACE] [--since SINCE] "
        "[--until UNTIL]\n"
        "optera usage: error: argument --by: invalid choice: 'color' "
        "(choose from 'feature', 'team', 'user')\n"
    )


def test_json_and_config_work_wherever_they_stand(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("OPTERA_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "optera.toml"
    config.write_text(f'[server]\ndata_dir = "{tmp_path / "elsewhere"}"\n')
    placements = [
        ["--json", "--config", str(config), "workspace", "create", "--name", "a"],
        ["workspace", f"--config={config}", "create", "--json", "--name", "b"],
        ["workspace", "create", "--name", "c", "--json", "--config", str(config)],
    ]
    for argv in placements:
        code, out, _ = cli(*argv)
        assert (code, json.loads(out)["name"]) == (0, argv[argv.index("--name") + 1])

    assert cli("usage", "--json", "--config", str(config))[:2] == (0, "[]\n")
    code, out, _ = cli("--json", "workspace", "list", f"--config={config}")
    assert [w["name"] for w in json.loads(out)] == ["a", "b", "c"]
    assert cli("--json", "workspace", "list")[:2] == (0, "[]\n")


def test_stdout_closed_by_the_reader_ends_quietly_with_exit_1(run):
    run("workspace", "create", "--name", "acme")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "appliance.cli", "workspace", "list", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).parents[1],
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (1, b"")


def test_new_database_is_named_on_stderr_the_first_time_only(cli, tmp_path):
    database = (tmp_path / "data" / "optera.db").resolve()
    note = (
        f"optera: {database} did not exist and was just created, empty; "
        "the server sees what this command writes only if it uses the same "
        "data directory (server.data_dir in its config, or OPTERA_DATA_DIR).\n"
    )
    assert cli("workspace", "list", "--json") == (0, "[]\n", note)
    assert cli("workspace", "list", "--json") == (0, "[]\n", "")
