"""What the cache may do for one request: config, workspace switches, controls.

`x-optera-cache: off` bypasses both caches. `Cache-Control: no-cache` skips
the lookup but stores the fresh answer; `no-store` keeps the answer out of the
cache. `x-optera-cache-ttl` sets the entry's lifetime in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance.errors import InvalidRequest
from appliance.settings import CacheSettings, SemanticSettings


@dataclass(frozen=True)
class Policy:
    exact_lookup: bool
    semantic_lookup: bool
    semantic_store: bool
    store: bool
    ttl_seconds: int
    threshold: float


def policy_for(
    controls: dict[str, str],
    workspace: dict[str, Any],
    cache: CacheSettings,
    semantic: SemanticSettings,
) -> Policy | None:
    """The request's cache policy, or None when the cache is bypassed."""
    if controls.get("cache") == "off":
        return None
    exact = cache.exact_enabled and workspace.get("exact_cache", True) is not False
    near = semantic.enabled and bool(workspace.get("semantic_cache", True))
    if not (exact or near):
        return None
    directives = _directives(controls.get("cache-control", ""))
    fresh = "no-cache" in directives
    ttl = _ttl(controls.get("cache-ttl"), workspace, cache)
    store = "no-store" not in directives and ttl > 0
    return Policy(
        exact_lookup=exact and not fresh,
        semantic_lookup=near and not fresh,
        semantic_store=near and store,
        store=store,
        ttl_seconds=ttl,
        threshold=float(workspace.get("semantic_threshold", semantic.threshold)),
    )


def _directives(header: str) -> set[str]:
    return {part.strip().split("=", 1)[0] for part in header.split(",") if part}


def _ttl(given: str | None, workspace: dict[str, Any], cache: CacheSettings) -> int:
    if given is None:
        return int(workspace.get("cache_ttl_seconds", cache.ttl_seconds))
    return request_ttl(given)


def request_ttl(given: str) -> int:
    """The seconds of an x-optera-cache-ttl header, or InvalidRequest."""
    if not given.isdigit():
        raise InvalidRequest(
            "x-optera-cache-ttl must be a whole number of seconds (0 or more)."
        )
    return int(given)
