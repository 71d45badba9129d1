"""Read-only snapshots of rows that the request path keeps in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkspaceView:
    id: str
    name: str
    plan: str
    quota: int
    burst_rate: float | None
    burst_capacity: int | None
    active: bool
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyView:
    id: str
    workspace_id: str
    prefix: str
