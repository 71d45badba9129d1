"""Auth step: the x-proxy-key names a live key of a workspace with a subscription."""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine

from appliance.errors import InvalidProxyKey, MissingProxyKey, NoSubscription
from appliance.pipeline.context import Exchange, Next, Reply, Tags
from appliance.settings import PlanSettings
from appliance.store import keys, workspaces
from appliance.store.views import KeyView, WorkspaceView

TAG_LIMIT = 200


class KeyCache:
    """Key lookups kept for a few seconds, so the database is not read per request.

    Revocation through the admin API clears it at once; through the CLI (another
    process) it takes effect within `ttl` seconds.
    """

    def __init__(self, engine: Engine, plans: PlanSettings, ttl: float = 2.0) -> None:
        self._engine = engine
        self._plans = plans
        self._ttl = ttl
        self._entries: dict[
            str, tuple[float, tuple[KeyView, WorkspaceView] | None]
        ] = {}

    def find(self, plaintext: str) -> tuple[KeyView, WorkspaceView] | None:
        digest = keys.hash_key(plaintext)
        now = time.monotonic()
        cached = self._entries.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = keys.lookup(self._engine, plaintext)
        value = None
        if found is not None:
            key, workspace = found
            key_view = KeyView(
                id=key.id, workspace_id=key.workspace_id, prefix=key.prefix
            )
            value = (key_view, workspaces.to_view(workspace, self._plans))
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[digest] = (now + self._ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


class AuthStep:
    def __init__(self, cache: KeyCache) -> None:
        self._cache = cache

    async def __call__(self, ex: Exchange, call_next: Next) -> Reply:
        plaintext = ex.headers.get("x-proxy-key", "").strip()
        if not plaintext:
            raise MissingProxyKey(
                "Missing x-proxy-key header: send your Optera proxy key."
            )
        found = self._cache.find(plaintext)
        if found is None:
            raise InvalidProxyKey(
                "Invalid x-proxy-key: the key is unknown, revoked or expired."
            )
        ex.key, ex.workspace = found
        ex.tags = read_tags(ex.headers)
        if not ex.workspace.active:
            raise NoSubscription(
                "This workspace has no active subscription; "
                "activate one to use the proxy."
            )
        return await call_next(ex)


def read_tags(headers: dict[str, str]) -> Tags:
    def tag(name: str) -> str | None:
        value = _utf8(headers.get(name, "")).strip()
        return value[:TAG_LIMIT] or None

    return Tags(
        feature=tag("x-feature-tag"), team=tag("x-team-tag"), user=tag("x-user-tag")
    )


def _utf8(value: str) -> str:
    """Header bytes are handed over as latin-1; tags are meant as UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
