"""What one compression step did: the new body and the tokens it saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StepResult:
    """A compression step's answer; `body` is a new dict when `changed`."""

    body: dict[str, Any]
    changed: bool
    tokens_before: int
    tokens_after: int
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    @classmethod
    def unchanged(cls, body: dict[str, Any], tokens: int, **detail: Any) -> StepResult:
        return cls(body, False, tokens, tokens, dict(detail))
