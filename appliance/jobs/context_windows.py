"""Context windows per model, for telling when a prompt fills most of one.

Read from the `[models.<provider>."<model>"] context_window` entries of the
model table (appliance/routing/data/models.toml). When that file is missing, a small
built-in table of common models stands in; a model in neither is only
compared with its feature's median prompt, never with a context window.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
SNAPSHOT = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$")
FALLBACK = {
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4.1-mini": 1_047_576,
    "gpt-5": 400_000,
    "gpt-5-mini": 400_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude-opus-4-5": 200_000,
    "claude-sonnet-4-5": 200_000,
    "claude-sonnet-4": 200_000,
    "claude-haiku-4-5": 200_000,
    "claude-3-5-haiku": 200_000,
}


@dataclass(frozen=True)
class ContextWindows:
    windows: dict[str, int]

    @classmethod
    def load(cls, path: Path) -> ContextWindows:
        """The model table's windows, or the built-in ones if it is missing."""
        if not path.is_file():
            log.info("no model table at %s; using built-in context windows", path)
            return cls(dict(FALLBACK))
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        return cls(_windows(data.get("models", {})))

    def find(self, model: str) -> int | None:
        """The window of `model`, or of its base model if a dated snapshot."""
        name = model.lower()
        return self.windows.get(name) or self.windows.get(SNAPSHOT.sub("", name))

    def smallest(self) -> int | None:
        return min(self.windows.values(), default=None)


def _windows(providers: dict[str, Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for entries in providers.values():
        for name, fields in entries.items():
            window = fields.get("context_window")
            if isinstance(window, int) and window > 0:
                found[name.lower()] = window
                for alias in fields.get("aliases", ()):
                    found[str(alias).lower()] = window
    return found
