"""Where the TUI connects: command line, then OPTERA_* environment, then config.

The admin token is read from its file on every call (cheaply, by modification
time), so a token regenerated on the appliance is picked up on reconnect.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from pathlib import Path

from appliance.settings import load_settings
from tui.client import Unauthorized

# A listener on every interface is reached through loopback from the same host.
WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104


@dataclass(frozen=True)
class Target:
    url: str
    token_file: Path
    log_file: Path | None = None


def parse(argv: list[str] | None, env: dict[str, str]) -> Target:
    parser = argparse.ArgumentParser(
        prog="optera-tui", description="Operate an Optera appliance from a terminal."
    )
    parser.add_argument(
        "--url", help="admin API (default: $OPTERA_ADMIN_URL or config)"
    )
    parser.add_argument(
        "--token-file", help="admin token (default: $OPTERA_ADMIN_TOKEN_FILE or config)"
    )
    parser.add_argument("--config", help="appliance config file for the defaults")
    parser.add_argument("--log-file", type=Path, help="write the TUI's log here")
    args = parser.parse_args(argv)
    target = resolve(args.url, args.token_file, args.config, env)
    return replace(target, log_file=args.log_file)


def resolve(
    url: str | None, token_file: str | None, config: str | None, env: dict[str, str]
) -> Target:
    """Fill what the command line left out from the environment and the config."""
    settings = load_settings(config, env)
    server = settings.server
    if not url:
        host = server.admin_host
        if host in WILDCARDS:
            host = "127.0.0.1"
        url = env.get("OPTERA_ADMIN_URL") or f"http://{host}:{server.admin_port}"
    chosen = token_file or server.admin_token_file
    path = Path(chosen) if chosen else settings.data_path / "admin.token"
    return Target(url=url, token_file=path.expanduser())


@dataclass
class TokenFile:
    """The admin token, re-read whenever its file changes."""

    path: Path
    _mtime: float = field(default=-1.0, repr=False)
    _token: str = field(default="", repr=False)

    def __call__(self) -> str:
        try:
            mtime = self.path.stat().st_mtime
            if mtime != self._mtime:
                self._token = self.path.read_text(encoding="utf-8").strip()
                self._mtime = mtime
        except OSError as error:
            raise Unauthorized(
                f"Cannot read the admin token file {self.path}: {error.strerror}"
            ) from error
        if not self._token:
            raise Unauthorized(f"The admin token file {self.path} is empty")
        return self._token
