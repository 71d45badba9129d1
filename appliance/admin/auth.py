"""The admin token: made once into a 0600 file, then required on every admin call.

The token is read at start-up and compared in constant time; it is never logged.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from appliance.settings import Settings

log = logging.getLogger(__name__)
TOKEN_FILE = Path("admin.token")


def token_path(settings: Settings) -> Path:
    """The configured token file, else admin.token in the data directory."""
    configured = settings.server.admin_token_file
    if configured:
        return Path(configured).expanduser()
    return settings.data_path / TOKEN_FILE


def load_or_create_token(path: Path) -> str:
    """The token in `path`; a new random one is written there if it is missing."""
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        _warn_if_readable(path)
        if token:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    path.chmod(0o600)
    log.info("admin token written to %s", path)
    return token


def _warn_if_readable(path: Path) -> None:
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("admin token file %s is readable by others; chmod 600 it", path)


def bearer(header: str | None) -> str | None:
    """The credentials of an `Authorization: Bearer ...` header."""
    if not header:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


class TokenGuard:
    """Refuses every call without the admin token (401).

    Handlers marked `opt={"metrics": True}` are open when the settings say
    Prometheus may scrape without a token.
    """

    def __init__(self, token: str, metrics_open: bool) -> None:
        self._token = token.encode("utf-8")
        self._metrics_open = metrics_open

    def __call__(self, connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        if self._metrics_open and handler.opt.get("metrics"):
            return
        given = bearer(connection.headers.get("authorization"))
        if given is None:
            raise NotAuthorizedException(
                "Missing admin token: send Authorization: Bearer <admin token>."
            )
        if not secrets.compare_digest(given.encode("utf-8"), self._token):
            raise NotAuthorizedException("Invalid admin token.")
