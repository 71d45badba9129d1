"""The operator CLI: `optera serve`, workspaces, subscriptions, keys, usage.

Each command works on the same database as the server. `--json` and
`--config` may stand anywhere on the command line; with `--json`, stdout
carries only JSON, usage errors included.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn

from sqlalchemy.engine import Engine

from appliance.errors import InvalidRequest, OpteraError
from appliance.jobs.scan import run_scan
from appliance.settings import Settings, load_settings
from appliance.store import findings, keys, usage, workspaces
from appliance.store.db import DATABASE_FILE, open_engine

Handler = Callable[[argparse.Namespace, Settings], Any]

JSON_FLAG = "--json"


class UsageError(Exception):
    """A command line argparse refused, held for main to report in the asked format."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class Parser(argparse.ArgumentParser):
    """Raises usage errors instead of printing them: under --json they go to
    stdout. Options are not abbreviated: `--jso` is a mistake, not --json."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)


def main(argv: list[str] | None = None) -> int:
    """Run one command; a reader that closes the pipe early (`| head`) ends it quietly.

    Follows the Python docs' note on SIGPIPE: stdout is flushed inside the
    try so a closed pipe surfaces here, then pointed at devnull so the
    flush at interpreter exit cannot raise again.
    """
    try:
        code = _run(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return code


def _run(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        return _refuse_usage(error, JSON_FLAG in argv)
    if not hasattr(args, "handler"):
        if args.json:
            return _fail(True, "a command is needed; `optera --help` lists them", 2)
        parser.print_help()
        return 2
    if args.config == "":
        return _fail(args.json, "--config needs the path of a config file", 2)
    try:
        settings = load_settings(args.config)
    except (OSError, ValueError) as error:  # a missing file, bad TOML, bad values
        return _fail(args.json, f"the configuration cannot be used: {error}")
    try:
        result = args.handler(args, settings)
    except OpteraError as error:
        return _fail(args.json, error.message)
    except FileNotFoundError as error:
        return _fail(args.json, str(error))
    if result is not None:
        _print(args, result)
    return 0


def _refuse_usage(error: UsageError, as_json: bool) -> int:
    """Under --json one JSON error on stdout; otherwise argparse's own usage and exit.

    The namespace is lost when parsing fails, so --json is looked for among
    the raw arguments.
    """
    if not as_json:
        argparse.ArgumentParser.error(error.parser, error.message)
    return _fail(True, error.message, 2)


def _fail(as_json: bool, message: str, code: int = 1) -> int:
    if as_json:
        print(json.dumps({"error": message}))
    else:
        print(f"error: {message}", file=sys.stderr)
    return code


def _print(args: argparse.Namespace, result: Any) -> None:
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    rows = result if isinstance(result, list) else [result]
    for row in rows:
        print("  ".join(f"{k}={'-' if v is None else v}" for k, v in row.items()))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="optera", description=__doc__, parents=[_shared_options()])
    parser.set_defaults(json=False, config=None)
    commands = parser.add_subparsers(metavar="COMMAND")
    _command(commands, "serve", cmd_serve, "run the proxy")
    ws = _group(commands, "workspace", "workspaces and plans")
    create = _command(ws, "create", cmd_workspace_create, "create a workspace")
    create.add_argument("--name", required=True)
    create.add_argument("--plan", default="starter", choices=workspaces.PLANS)
    create.add_argument("--quota", type=int, help="monthly requests (custom plan)")
    _command(ws, "list", cmd_workspace_list, "list workspaces")
    plan = _command(
        ws, "set-plan", cmd_workspace_set_plan, "change plan, quota or burst limit"
    )
    plan.add_argument("workspace")
    plan.add_argument("--plan", required=True, choices=workspaces.PLANS)
    plan.add_argument("--quota", type=int)
    plan.add_argument("--burst", type=float, help="requests a second for each key")
    sub = _group(commands, "subscription", "subscriptions")
    _command(sub, "activate", cmd_subscription_activate, "activate").add_argument(
        "workspace"
    )
    _command(sub, "cancel", cmd_subscription_cancel, "cancel").add_argument("workspace")
    key = _group(commands, "key", "proxy keys")
    issue = _command(key, "issue", cmd_key_issue, "issue a key (printed once)")
    issue.add_argument("workspace")
    issue.add_argument("--name")
    _command(key, "revoke", cmd_key_revoke, "revoke a key").add_argument("key_id")
    _command(key, "list", cmd_key_list, "list a workspace's keys").add_argument(
        "workspace"
    )
    report = _command(commands, "usage", cmd_usage, "usage and savings totals per tag")
    report.add_argument("--by", choices=sorted(usage.TAG_COLUMNS), default="feature")
    report.add_argument("--workspace")
    report.add_argument("--since", help="ISO date or time (UTC), inclusive")
    report.add_argument("--until", help="ISO date or time (UTC), exclusive")
    _leak_commands(commands)
    return parser


def _shared_options() -> argparse.ArgumentParser:
    """--json and --config, given to every parser so either may stand anywhere.

    Their defaults are SUPPRESS so that a subcommand's parser, which did not
    see the option, leaves what an outer parser read; the top parser sets the
    real defaults.
    """
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        JSON_FLAG,
        action="store_true",
        default=argparse.SUPPRESS,
        help="print only JSON on stdout, errors included",
    )
    shared.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help="config file (default: $OPTERA_CONFIG or config/optera.toml)",
    )
    return shared


def _group(commands: Any, name: str, help_text: str) -> Any:
    group = commands.add_parser(name, help=help_text, parents=[_shared_options()])
    return group.add_subparsers(metavar="ACTION")


def _leak_commands(commands: Any) -> None:
    actions = _group(commands, "leaks", "findings of the leak scans")
    _command(actions, "scan", cmd_leaks_scan, "scan now; print what it found")
    listing = _command(actions, "list", cmd_leaks_list, "list open findings")
    listing.add_argument("--workspace")


def _command(
    group: Any, name: str, handler: Handler, help_text: str
) -> argparse.ArgumentParser:
    command = group.add_parser(name, help=help_text, parents=[_shared_options()])
    command.set_defaults(handler=handler)
    return command


def open_database(settings: Settings) -> Engine:
    """The server's database; one this command had to create is named on stderr.

    A CLI run from another directory or with another config would otherwise
    quietly fill a database the server never reads.
    """
    path = settings.data_path / DATABASE_FILE
    existed = path.exists()
    engine = open_engine(settings.data_path)
    if not existed:
        print(
            f"optera: {path.resolve()} did not exist and was just created, empty; "
            "the server sees what this command writes only if it uses the same "
            "data directory (server.data_dir in its config, or OPTERA_DATA_DIR).",
            file=sys.stderr,
        )
    return engine


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    from appliance.serve import configure_logging, run  # noqa: PLC0415

    configure_logging(settings.server.log_level)
    run(settings)


def cmd_workspace_create(args: argparse.Namespace, settings: Settings) -> dict:
    engine = open_database(settings)
    return workspaces.describe(
        workspaces.create(engine, args.name, args.plan, args.quota), settings.plans
    )


def cmd_workspace_list(args: argparse.Namespace, settings: Settings) -> list:
    engine = open_database(settings)
    return [workspaces.describe(w, settings.plans) for w in workspaces.list_all(engine)]


def cmd_workspace_set_plan(args: argparse.Namespace, settings: Settings) -> dict:
    engine = open_database(settings)
    row = workspaces.set_plan(engine, args.workspace, args.plan, args.quota, args.burst)
    return workspaces.describe(row, settings.plans)


def cmd_subscription_activate(args: argparse.Namespace, settings: Settings) -> dict:
    engine = open_database(settings)
    return workspaces.describe(
        workspaces.activate(engine, args.workspace), settings.plans
    )


def cmd_subscription_cancel(args: argparse.Namespace, settings: Settings) -> dict:
    engine = open_database(settings)
    return workspaces.describe(
        workspaces.cancel(engine, args.workspace), settings.plans
    )


def cmd_key_issue(args: argparse.Namespace, settings: Settings) -> dict:
    engine = open_database(settings)
    key, plaintext = keys.issue(engine, args.workspace, args.name)
    return {**keys.describe(key), "key": plaintext}


def cmd_key_revoke(args: argparse.Namespace, settings: Settings) -> dict:
    return keys.describe(keys.revoke(open_database(settings), args.key_id))


def cmd_key_list(args: argparse.Namespace, settings: Settings) -> list:
    engine = open_database(settings)
    return [keys.describe(k) for k in keys.list_for(engine, args.workspace)]


def cmd_usage(args: argparse.Namespace, settings: Settings) -> list:
    engine = open_database(settings)
    workspace_id = workspaces.get(engine, args.workspace).id if args.workspace else None
    since = utc_moment(args.since, "--since") if args.since else None
    until = utc_moment(args.until, "--until") if args.until else None
    return usage.totals_by(engine, args.by, workspace_id, since, until)


def utc_moment(text: str, option: str) -> datetime:
    """An ISO date or time; a date is its midnight, a time without an offset UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequest(
            f"{option} takes an ISO date or time such as 2026-12-01 or "
            f"2026-12-01T09:30:00Z, not {text!r}."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_leaks_scan(args: argparse.Namespace, settings: Settings) -> list:
    """The findings this scan opened or added to (not those merely seen again)."""
    outcomes = run_scan(open_database(settings), settings.leaks)
    return [
        {**findings.describe(outcome.finding), "action": outcome.action}
        for outcome in outcomes
        if outcome.action != "seen"
    ]


def cmd_leaks_list(args: argparse.Namespace, settings: Settings) -> list:
    engine = open_database(settings)
    workspace_id = workspaces.get(engine, args.workspace).id if args.workspace else None
    return [findings.describe(f) for f in findings.list_findings(engine, workspace_id)]


if __name__ == "__main__":
    sys.exit(main())
