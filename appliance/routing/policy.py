"""The routing policy one request is decided under: the appliance settings,
then the workspace's own routing settings over them.

A workspace's `settings["routing"]` may hold `enabled` (bool), `threshold`
(0..1) and `overrides` ({model: cheaper model or "off"}).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)


class RoutingConfig(Protocol):
    """What the policy reads from the [routing] settings section."""

    enabled: bool
    threshold: float
    overrides: dict[str, str]


@dataclass(frozen=True)
class Policy:
    enabled: bool
    threshold: float
    overrides: Mapping[str, str] = field(default_factory=dict)


def policy_for(config: RoutingConfig, workspace: Mapping[str, Any] | None) -> Policy:
    """The appliance policy with the workspace's routing settings applied."""
    own = (workspace or {}).get("routing")
    own = own if isinstance(own, Mapping) else {}
    overrides = dict(config.overrides)
    if isinstance(own.get("overrides"), Mapping):
        overrides.update({str(k): str(v) for k, v in own["overrides"].items()})
    return Policy(
        enabled=config.enabled and own.get("enabled", True) is not False,
        threshold=_threshold(own.get("threshold"), config.threshold),
        overrides=overrides,
    )


def _threshold(value: Any, default: float) -> float:
    if value is None:
        return default
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 <= value <= 1
    ):
        return float(value)
    log.warning(
        "workspace routing threshold %r is not in 0..1; using %s", value, default
    )
    return default
