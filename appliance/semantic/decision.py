"""Which near match, if any, may answer a prompt: similarity first, then guards."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from appliance.semantic.features import Features, features
from appliance.semantic.guards import compare, servable
from appliance.semantic.rows import Candidate

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.88


def decide(
    query: str,
    candidates: Sequence[Candidate],
    threshold: float,
    read: Callable[[str], Features] = features,
) -> Candidate | None:
    """The most similar candidate above `threshold` that every guard accepts;
    `read` gives a prompt's features (a memo of them, where the caller has one)."""
    if not servable(query):
        logger.debug("semantic lookup skipped: prompt of %d characters", len(query))
        return None
    asked = None
    for candidate in sorted(candidates, key=lambda c: c.similarity, reverse=True):
        if candidate.similarity < threshold:
            logger.debug(
                "semantic candidate below threshold: similarity %.4f < %.4f",
                candidate.similarity,
                threshold,
            )
            break
        asked = asked or read(query)
        verdict = compare(asked, read(candidate.text))
        if verdict.ok:
            return candidate
        logger.debug(
            "semantic candidate blocked: similarity %.4f, %s",
            candidate.similarity,
            verdict.reason,
        )
    return None
