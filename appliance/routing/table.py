"""The route table: for each expensive model, the cheaper model it may fall to.

Defaults come from the `[routes.<provider>]` tables of routing/data/models.toml;
overrides (from settings, then from the workspace) name a model and either a
target or "off". A routed pair always stays with one provider, so the
caller's provider key works for the cheaper model too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appliance.routing.capabilities import Catalog, ModelCapabilities

OFF = frozenset({"", "off", "none", "false"})


@dataclass(frozen=True)
class Route:
    source: ModelCapabilities
    target: ModelCapabilities


@dataclass(frozen=True)
class RouteTable:
    catalog: Catalog
    defaults: Mapping[str, str]

    @classmethod
    def from_mapping(cls, catalog: Catalog, data: Mapping[str, Any]) -> RouteTable:
        """Build from the parsed `[routes]` table: provider -> model -> target."""
        defaults = {
            source: target
            for provider, pairs in data.items()
            for source, target in pairs.items()
            if _same_provider(catalog, provider, source, target)
        }
        return cls(catalog, defaults)

    def route(
        self, provider: str, model: str, overrides: Mapping[str, str] | None = None
    ) -> Route | None:
        """Where `model` may fall to, or None: unknown, switched off, or no pair."""
        source = self.catalog.find(model)
        if source is None or source.provider != provider:
            return None
        overrides = overrides or {}
        wanted = overrides.get(model, overrides.get(source.name))
        if wanted is None:
            wanted = self.defaults.get(source.name)
        if wanted is None or wanted.strip().lower() in OFF:
            return None
        target = self.catalog.find(wanted)
        if target is None or target.provider != provider or target is source:
            return None
        return Route(source, target)


def _same_provider(catalog: Catalog, provider: str, source: str, target: str) -> bool:
    """A default pair must name two known models of its own provider."""
    found = [catalog.find(source), catalog.find(target)]
    if any(model is None or model.provider != provider for model in found):
        raise ValueError(f"route {source} -> {target}: both must be {provider} models")
    return True
