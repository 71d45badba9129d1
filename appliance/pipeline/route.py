"""Route step: sends a request the asked model is not needed for to the
cheaper model of the same provider, and back to the asked one if that fails.

Reads the body, the workspace's routing settings and `x-optera-route`;
writes `body["model"]`, `savings.routed` and the "routing" saving's detail
(from, to, score; retried). The account step prices the saving from the
usage of the answer.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from appliance.pipeline.context import Exchange, Next, Reply
from appliance.routing.loader import RouterSlot
from appliance.routing.policy import Policy, RoutingConfig, policy_for
from appliance.routing.router import Candidate, Router

log = logging.getLogger(__name__)
NOT_RETRIED = frozenset({401, 403, 429})


class AsyncEmbedder(Protocol):
    async def embed(self, text: str) -> np.ndarray:
        """One unit-length vector for `text`."""
        ...


class RouteStep:
    """Routes once the router in `slot` is ready; requests before that pass as asked."""

    def __init__(
        self, slot: RouterSlot | Router, embedder: AsyncEmbedder, config: RoutingConfig
    ) -> None:
        self._slot = slot
        self._embedder = embedder
        self._config = config

    @property
    def _router(self) -> Router | None:
        return self._slot.router if isinstance(self._slot, RouterSlot) else self._slot

    async def __call__(self, ex: Exchange, call_next: Next) -> Reply:
        target = await self._decide(ex)
        if target is None:
            return await call_next(ex)
        original = ex.model or ""
        ex.update_body(model=target)
        ex.savings.routed = True
        reply = await call_next(ex)
        if not _retriable(reply):
            return reply
        log.warning(
            "request %s: routed model %s answered %s; retrying on %s",
            ex.request_id,
            target,
            reply.status,
            original,
        )
        ex.update_body(model=original)
        ex.savings.routed = False
        ex.savings.add("routing", retried=True)
        ex.outcome = replace(
            ex.outcome, status=0, usage=None, error_type=None, upstream_request_id=None
        )
        return await call_next(ex)

    async def _decide(self, ex: Exchange) -> str | None:
        """The cheaper model to send `ex` to, or None."""
        policy = self._policy(ex)
        if not policy.enabled or ex.body is None or not ex.is_chat:
            return None
        if ex.control("route") == "off":
            return None
        router = self._router
        if router is None:
            return None
        candidate = router.candidate(ex.fmt.name, ex.body, policy.overrides)
        if candidate is None:
            return None
        vector = await self._embedder.embed(candidate.text)
        verdict = router.verdict(candidate, vector)
        if verdict.easiness < policy.threshold:
            return None
        return self._record(ex, candidate, verdict.easiness)

    def _policy(self, ex: Exchange) -> Policy:
        workspace = ex.workspace.settings if ex.workspace is not None else None
        return policy_for(self._config, workspace)

    def _record(self, ex: Exchange, candidate: Candidate, easiness: float) -> str:
        target = candidate.route.target.name
        detail: dict[str, Any] = {"from": ex.model, "to": target}
        ex.savings.add("routing", score=round(easiness, 3), **detail)
        return target


def _retriable(reply: Reply) -> bool:
    """A provider error the asked model may not have: a 4xx other than auth or
    rate limits, which would fail the same way on any model."""
    return 400 <= reply.status < 500 and reply.status not in NOT_RETRIED
