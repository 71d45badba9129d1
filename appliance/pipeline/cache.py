"""Cache step: answers exact and semantic hits, stores successful misses.

It runs after the quota (a hit counts against it) and before compression and
routing, so keys are made from the caller's own request. Hits are priced by
the account step; streamed misses are stored once the stream has ended well.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial

from appliance.cache import embeddings, replay
from appliance.cache.caches import Caches
from appliance.cache.embeddings import EmbeddingPlan
from appliance.cache.inflight import Flight
from appliance.cache.keys import (
    RequestIdentity,
    SemanticQuery,
    exact_key,
    semantic_query,
)
from appliance.cache.policy import Policy, policy_for
from appliance.cache.store import Entry
from appliance.pipeline.context import Exchange, Next, Reply
from appliance.pricing.prices import Pricer
from appliance.providers.usage import Usage

log = logging.getLogger(__name__)
SSE = "text/event-stream"
JSON = "application/json"
EMBEDDINGS_PATH = "/v1/embeddings"


@dataclass(frozen=True)
class Pending:
    """A miss on its way upstream: where its answer goes once it is known."""

    policy: Policy
    key: str
    query: SemanticQuery | None
    flight: Flight | None = None


def identity_of(ex: Exchange) -> RequestIdentity:
    assert ex.workspace is not None and ex.body is not None
    return RequestIdentity(
        workspace_id=ex.workspace.id,
        protocol=ex.fmt.name,
        path=ex.path,
        model=ex.original_model,
        body=ex.body,
        headers=ex.headers,
    )


class CacheStep:
    def __init__(self, caches: Caches, pricer: Pricer) -> None:
        self._caches = caches
        self._store = caches.store
        self._flights = caches.flights
        self._semantic = caches.semantic
        self._pricer = pricer

    async def __call__(self, ex: Exchange, call_next: Next) -> Reply:
        chat = ex.is_chat
        embed = ex.path == EMBEDDINGS_PATH and self._caches.settings.cache.embeddings
        if ex.method != "POST" or ex.body is None or not (chat or embed):
            return await call_next(ex)
        assert ex.workspace is not None
        settings = self._caches.settings
        policy = policy_for(
            ex.controls, ex.workspace.settings, settings.cache, settings.semantic
        )
        if policy is None:
            ex.outcome.cache = "bypass"
            return await call_next(ex)
        if not (policy.exact_lookup or policy.semantic_lookup):
            ex.outcome.cache = "bypass"
        if embed:
            return await self._embed(ex, call_next, policy)
        return await self._chat(ex, call_next, policy)

    async def _chat(self, ex: Exchange, call_next: Next, policy: Policy) -> Reply:
        identity = identity_of(ex)
        key = exact_key(identity)
        if policy.exact_lookup:
            entry = await self._store.fetch(key)
            if entry is not None:
                return hit(ex, entry, "exact")
            flight = self._flights.joinable(key)
            if flight is not None:
                landing = await flight.wait()
                if landing is not None:
                    return hit(ex, landing.entry, landing.kind)
                query = self._semantic_query(identity, policy)
                return await self._miss(ex, call_next, Pending(policy, key, query))
        # The semantic scope is hashed only past an exact hit: a hit needs none.
        query = self._semantic_query(identity, policy)
        # Lead before any further await, so identical requests arriving during
        # the semantic lookup wait for this one.
        leader = self._flights.lead(key) if policy.store else None
        if query is not None and policy.semantic_lookup:
            entry = await self._semantic_lookup(query, policy, leader)
            if entry is not None:
                return hit(ex, entry, "semantic")
        return await self._miss(ex, call_next, Pending(policy, key, query, leader))

    def _semantic_query(
        self, identity: RequestIdentity, policy: Policy
    ) -> SemanticQuery | None:
        if self._semantic is None:
            return None
        if not (policy.semantic_lookup or policy.semantic_store):
            return None
        return semantic_query(identity)

    async def _semantic_lookup(
        self, query: SemanticQuery, policy: Policy, leader: Flight | None
    ) -> Entry | None:
        """A near match, or None; a failing lookup is logged and counts as a miss.

        A hit settles the leader's flight, so its followers get the same answer.
        """
        assert self._semantic is not None
        entry = None
        try:
            entry = await self._semantic.lookup(query, policy.threshold)
        except Exception:
            log.exception("semantic lookup failed; treating it as a miss")
        except BaseException:
            if leader is not None:
                leader.settle(None)
            raise
        if entry is not None and leader is not None:
            leader.settle(entry, "semantic")
        return entry

    async def _miss(self, ex: Exchange, call_next: Next, pending: Pending) -> Reply:
        flight = pending.flight
        try:
            reply = await call_next(ex)
        except BaseException:
            if flight is not None:
                flight.settle(None)
            raise
        if reply.chunks is not None:
            if pending.policy.store and reply.status == 200:
                ex.stream_finalizers.append(partial(self._store_stream, pending))
            elif flight is not None:
                flight.settle(None)
            return reply
        entry = None
        if pending.policy.store and reply.status == 200 and _answer(reply.body):
            assert reply.body is not None
            entry = self._keep(ex, pending, reply.body)
        if flight is not None:
            flight.settle(entry)
        return reply

    async def _store_stream(self, pending: Pending, ex: Exchange) -> None:
        entry = None
        try:
            if not ex.outcome.aborted and ex.outcome.status == 200:
                body = replay.assemble(ex.fmt.name, ex.stream_events, ex.outcome.usage)
                if body is not None:
                    entry = self._keep(ex, pending, body)
        finally:
            if pending.flight is not None:
                pending.flight.settle(entry)

    def _keep(self, ex: Exchange, pending: Pending, body: bytes) -> Entry:
        """Store a successful answer, and queue its semantic entry."""
        assert ex.workspace is not None
        entry = self._entry(
            ex.workspace.id, pending.key, body, pending.policy, ex.outcome.usage
        )
        self._store.put(entry)
        query = pending.query
        if query is not None and pending.policy.semantic_store and self._semantic:
            ttl = pending.policy.ttl_seconds
            self._semantic.remember(query, ex.workspace.id, entry.key, ttl)
        return entry

    def _entry(
        self,
        workspace_id: str,
        key: str,
        body: bytes,
        policy: Policy,
        usage: Usage | None = None,
    ) -> Entry:
        now = time.time()
        return Entry(
            key=key,
            workspace_id=workspace_id,
            body=body,
            usage=usage or Usage(),
            created_at=now,
            expires_at=now + policy.ttl_seconds,
        )

    async def _embed(self, ex: Exchange, call_next: Next, policy: Policy) -> Reply:
        """Per-input caching: only inputs not cached go upstream."""
        chosen = embeddings.plan(identity_of(ex))
        if chosen is None:
            return await call_next(ex)
        if policy.exact_lookup:
            for position, key in enumerate(chosen.keys):
                entry = await self._store.fetch(key)
                if entry is not None:
                    chosen.cached[position] = embeddings.cached_of(entry)
        if not chosen.missing:
            mark_hit(ex, Usage(input_tokens=chosen.saved_tokens), "exact")
            return Reply(status=200, body=_encode(embeddings.cached_response(chosen)))
        if chosen.cached:
            ex.update_body(input=embeddings.upstream_input(chosen))
        reply = await call_next(ex)
        merged = self._merge(chosen, reply)
        if merged is None and chosen.cached:
            log.warning("embeddings answer did not fit the inputs sent; resending all")
            ex.update_body(input=chosen.items[0] if chosen.single else chosen.items)
            return await call_next(ex)
        if merged is None:
            return reply
        answer, fresh = merged
        if policy.store:
            self._store_embeddings(ex, chosen, fresh, policy)
        if not chosen.cached:
            return reply
        self._price_partial(ex, chosen)
        return Reply(
            status=200, headers=reply.headers, body=_encode(answer), media_type=JSON
        )

    def _store_embeddings(
        self,
        ex: Exchange,
        chosen: EmbeddingPlan,
        fresh: dict[int, embeddings.Cached],
        policy: Policy,
    ) -> None:
        assert ex.workspace is not None
        for position, item in fresh.items():
            body = embeddings.stored_body(item.embedding, item.model)
            usage = Usage(input_tokens=item.tokens)
            entry = self._entry(
                ex.workspace.id, chosen.keys[position], body, policy, usage
            )
            self._store.put(entry)

    def _merge(
        self, chosen: EmbeddingPlan, reply: Reply
    ) -> tuple[dict, dict[int, embeddings.Cached]] | None:
        if reply.status != 200 or not reply.body:
            return None
        try:
            upstream = json.loads(reply.body)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(upstream, dict):
            return None
        return embeddings.merge(chosen, upstream, self._caches.weights)

    def _price_partial(self, ex: Exchange, chosen: EmbeddingPlan) -> None:
        """Inputs answered from the cache save what sending them would have cost."""
        saved = Usage(input_tokens=chosen.saved_tokens)
        usd = self._pricer.cost(ex.fmt.name, ex.original_model or "", saved)
        ex.savings.add(
            "exact_cache", tokens=saved.input_tokens, usd=usd, inputs=len(chosen.cached)
        )


def mark_hit(ex: Exchange, usage: Usage, kind: str) -> None:
    """Tell the account step the answer came from the cache, and what it held."""
    ex.outcome.cache = kind
    ex.outcome.status = 200
    ex.outcome.usage = usage
    if kind == "exact":
        ex.savings.cache_hit = True
    else:
        ex.savings.semantic_hit = True


def hit(ex: Exchange, entry: Entry, kind: str) -> Reply:
    """Answer from a cached entry, as a body or as a stream of the protocol."""
    mark_hit(ex, entry.usage, kind)
    if not ex.stream:
        return Reply(status=200, body=entry.body, media_type=JSON)
    events = replay.stream_events(ex.fmt.name, entry.body, _wants_usage(ex))
    return Reply(status=200, chunks=_replayed(ex, events), media_type=SSE)


async def _replayed(ex: Exchange, events: list[bytes]) -> AsyncIterator[bytes]:
    """Yield the synthesized events, then run the stream's finalizers."""
    finished = False
    try:
        for event in events:
            yield event
        finished = True
    finally:
        ex.outcome.aborted = not finished
        for finalize in ex.stream_finalizers:
            try:
                await finalize(ex)
            except Exception:
                log.exception("stream finalizer failed after a cache hit")


def _wants_usage(ex: Exchange) -> bool:
    options = (ex.body or {}).get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _encode(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _answer(body: bytes | None) -> bool:
    """A JSON object that is not an error: the only kind of body worth keeping."""
    if not body:
        return False
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(parsed, dict) and "error" not in parsed
