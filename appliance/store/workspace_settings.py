"""Per-workspace optimization settings: their schema, merge rules and defaults.

A workspace stores only its overrides in `Workspace.settings`; the effective
settings are the config file's values overlaid by them, except that a cache or
routing switched off in the config stays off (the pipeline steps read it so).
Changes arrive as a JSON merge patch (RFC 7386): objects merge key by key, null
removes an override. The admin API's shape is flat; the routing keys are stored
under "routing" as {"enabled", "threshold", "overrides"}, where the route step
reads them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from appliance.settings import Settings
from appliance.store import workspaces
from appliance.store.models import Workspace

COMPRESSION_STEPS = (
    "preamble",
    "repetition",
    "summarize",
    "tools",
    "images",
    "provider_cache_breakpoints",
)
MASTER_SWITCHES = ("exact_cache", "semantic_cache", "routing")
ROUTING_KEYS = {
    "enabled": "routing",
    "threshold": "routing_threshold",
    "overrides": "route_overrides",
}
ModelName = Annotated[str, Field(min_length=1, max_length=200)]


class CompressionPatch(BaseModel):
    """Which compression steps run for the workspace."""

    model_config = ConfigDict(extra="forbid", strict=True)

    preamble: bool | None = None
    repetition: bool | None = None
    summarize: bool | None = None
    tools: bool | None = None
    images: bool | None = None
    provider_cache_breakpoints: bool | None = None


class OptimizationPatch(BaseModel):
    """A change to a workspace's optimization settings; every field optional."""

    model_config = ConfigDict(extra="forbid", strict=True)

    exact_cache: bool | None = None
    semantic_cache: bool | None = None
    semantic_threshold: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    routing: bool | None = None
    routing_threshold: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    route_overrides: dict[ModelName, ModelName | None] | None = None
    compression: CompressionPatch | None = None
    cache_ttl_seconds: Annotated[int, Field(ge=0)] | None = None
    store_prompts: bool | None = None


def defaults(settings: Settings) -> dict[str, Any]:
    """The optimization settings every workspace starts from: the config file's."""
    return {
        "exact_cache": settings.cache.exact_enabled,
        "semantic_cache": settings.semantic.enabled,
        "semantic_threshold": settings.semantic.threshold,
        "routing": settings.routing.enabled,
        "routing_threshold": settings.routing.threshold,
        "route_overrides": dict(settings.routing.overrides),
        "compression": {
            name: getattr(settings.compression, name) for name in COMPRESSION_STEPS
        },
        "cache_ttl_seconds": settings.cache.ttl_seconds,
        "store_prompts": settings.privacy.store_prompts,
    }


def effective(settings: Settings, stored: dict[str, Any]) -> dict[str, Any]:
    """The settings a workspace's requests run with."""
    base = defaults(settings)
    shown = merge(base, overrides_of(stored))
    for switch in MASTER_SWITCHES:
        shown[switch] = bool(base[switch] and shown[switch])
    return shown


def overrides_of(stored: dict[str, Any]) -> dict[str, Any]:
    """A workspace's stored overrides in the admin API's flat shape."""
    flat = {k: v for k, v in (stored or {}).items() if k != "routing"}
    routing = (stored or {}).get("routing")
    if isinstance(routing, bool):
        flat["routing"] = routing
    elif isinstance(routing, dict):
        for inner, outer in ROUTING_KEYS.items():
            if routing.get(inner) is not None:
                flat[outer] = routing[inner]
    return flat


def to_stored(flat: dict[str, Any]) -> dict[str, Any]:
    """Flat overrides in the shape kept in the database (routing nested)."""
    stored = {k: v for k, v in flat.items() if k not in ROUTING_KEYS.values()}
    routing = {
        inner: flat[outer] for inner, outer in ROUTING_KEYS.items() if outer in flat
    }
    if routing:
        stored["routing"] = routing
    return stored


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 merge: nested objects merge key by key, null removes a key."""
    merged = dict(base)
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        elif isinstance(value, dict):
            inner = merged.get(name)
            merged[name] = merge(inner if isinstance(inner, dict) else {}, value)
        else:
            merged[name] = value
    return merged


def apply_patch(engine: Engine, workspace_ref: str, patch: dict[str, Any]) -> Workspace:
    """Merge a checked patch (flat shape) into the workspace's stored overrides."""
    workspace = workspaces.get(engine, workspace_ref)
    merged = merge(overrides_of(workspace.settings), patch)
    kept = {name: value for name, value in merged.items() if value != {}}
    return workspaces.update(engine, workspace.id, settings=to_stored(kept))
