"""The model capability table: what each model accepts, per provider.

Read from the `[models.<provider>."<model>"]` tables of routing/data/models.toml.
A dated snapshot (gpt-4o-2024-08-06, claude-sonnet-4-5-20250929) or a
`-latest` name finds the entry of its base model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

SNAPSHOT = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


@dataclass(frozen=True)
class ModelCapabilities:
    """One model's limits. `reasoning` means it takes reasoning_effort (OpenAI)
    or extended thinking (Anthropic); `reasoning_efforts` lists the accepted
    effort values when the provider has them."""

    name: str
    provider: str
    context_window: int
    max_output: int
    vision: bool = False
    cheaper_for_images: bool = True
    tools: bool = True
    structured_outputs: bool = False
    json_mode: bool = False
    reasoning: bool = False
    reasoning_efforts: tuple[str, ...] = ()
    builtin_tools: tuple[str, ...] = ()
    unsupported_params: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """Every model the router knows, found by name, alias or snapshot."""

    models: Mapping[str, ModelCapabilities]
    _index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name, model in self.models.items():
            self._index[name.lower()] = name
            self._index.update({alias.lower(): name for alias in model.aliases})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Catalog:
        """Build from the parsed `[models]` table: provider -> model -> fields."""
        models = {
            name: _capabilities(provider, name, fields)
            for provider, entries in data.items()
            for name, fields in entries.items()
        }
        return cls(models)

    def find(self, model: str) -> ModelCapabilities | None:
        """The entry for `model`, its alias, or its base model's if a snapshot."""
        name = self._index.get(model.lower())
        if name is None:
            name = self._index.get(SNAPSHOT.sub("", model.lower()))
        return self.models.get(name) if name is not None else None

    def __iter__(self) -> Iterator[ModelCapabilities]:
        return iter(self.models.values())


def _capabilities(
    provider: str, name: str, fields: Mapping[str, Any]
) -> ModelCapabilities:
    values = dict(fields)
    for key in ("reasoning_efforts", "builtin_tools", "aliases"):
        values[key] = tuple(values.get(key, ()))
    values["unsupported_params"] = frozenset(values.get("unsupported_params", ()))
    return ModelCapabilities(name=name, provider=provider, **values)
