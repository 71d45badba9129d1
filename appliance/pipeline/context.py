"""The exchange: one proxied request as it moves through the pipeline steps.

Every step reads and writes fields of one `Exchange`; a step that answers
returns a `Reply`. Nothing here does I/O.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from appliance.providers.usage import Usage

NOTHING = Decimal(0)

if TYPE_CHECKING:
    from appliance.providers.base import ProviderFormat
    from appliance.store.views import KeyView, WorkspaceView


@dataclass(slots=True)
class Tags:
    """The caller's analytics tags (x-feature-tag, x-team-tag, x-user-tag)."""

    feature: str | None = None
    team: str | None = None
    user: str | None = None


@dataclass(slots=True)
class Saving:
    """What one optimization saved: tokens and dollars, and any detail."""

    tokens: int = 0
    usd: Decimal = Decimal(0)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Savings:
    """Which optimizations fired on this request and what each saved.

    `steps` is keyed by optimization name: exact_cache, semantic_cache, routing,
    preamble, repetition, summarize, tools, images, provider_cache.
    """

    cache_hit: bool = False
    semantic_hit: bool = False
    routed: bool = False
    compressed: bool = False
    preamble_stripped: bool = False
    repetition_removed: bool = False
    conversation_summarized: bool = False
    tools_compressed: bool = False
    image_optimized: bool = False
    provider_cache_hit: bool = False
    provider_cache_usd: Decimal = Decimal(0)
    steps: dict[str, Saving] = field(default_factory=dict)

    def add(
        self, name: str, tokens: int = 0, usd: Decimal = Decimal(0), **detail: Any
    ) -> None:
        """Record a saving under `name`, adding to what is already there."""
        saving = self.steps.setdefault(name, Saving())
        saving.tokens += tokens
        saving.usd += usd
        saving.detail.update(detail)

    @property
    def tokens_saved(self) -> int:
        if not self.steps:  # most requests: asked on each, for headers and record
            return 0
        return sum(
            s.tokens for name, s in self.steps.items() if name != "provider_cache"
        )

    @property
    def usd_saved(self) -> Decimal:
        if not self.steps:
            return NOTHING
        return sum(
            (s.usd for name, s in self.steps.items() if name != "provider_cache"),
            NOTHING,
        )

    def fired(self) -> list[str]:
        return sorted(self.steps)


@dataclass(slots=True)
class QuotaState:
    """The workspace's monthly quota as this request left it."""

    limit: int = 0
    remaining: int = 0
    reset_epoch: int = 0


@dataclass(slots=True)
class Outcome:
    """What came back: filled by the forward step or by a cache hit."""

    status: int = 0
    usage: Usage | None = None
    cache: str = "miss"  # miss | exact | semantic | bypass
    aborted: bool = False
    error_type: str | None = None
    upstream_request_id: str | None = None


@dataclass(slots=True)
class Reply:
    """An answer to send back: a whole body or a stream of bytes.

    `headers` are the upstream's headers to pass back (hop-by-hop ones
    already removed), as the lower-cased name bytes and value bytes sent on
    the wire. Exactly one of `body` and `chunks` is set.
    """

    status: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes | None = None
    chunks: AsyncIterator[bytes] | None = None
    media_type: str = "application/json"


StreamFinalizer = Callable[["Exchange"], Awaitable[None]]


@dataclass(slots=True)
class Exchange:
    """One request in flight, from the HTTP edge to the usage record."""

    request_id: str
    fmt: ProviderFormat
    method: str
    path: str
    query: str
    headers: dict[str, str]  # to read, latin-1 decoded; a repeated one's last value
    raw_body: bytes
    raw_headers: list[tuple[bytes, bytes]] = field(default_factory=list)  # as sent
    raw_path: str = ""  # as sent, escapes kept: the path that goes upstream
    body: dict[str, Any] | None = None
    started: float = field(default_factory=time.perf_counter)
    started_at: float = field(default_factory=time.time)
    workspace: WorkspaceView | None = None
    key: KeyView | None = None
    tags: Tags = field(default_factory=Tags)
    original_model: str | None = None
    stream: bool = False
    strip_usage_chunk: bool = False
    savings: Savings = field(default_factory=Savings)
    quota: QuotaState | None = None
    outcome: Outcome = field(default_factory=Outcome)
    raw_cost_usd: Decimal = Decimal(0)
    cost_usd: Decimal = Decimal(0)
    stream_finalizers: list[StreamFinalizer] = field(default_factory=list)
    controls: dict[str, str] = field(default_factory=dict)
    body_changed: bool = False
    stream_events: list[bytes] = field(default_factory=list)
    counted_period: str | None = None
    fingerprint: str | None = None
    conversation_fingerprint: str | None = None

    def update_body(self, **fields: Any) -> None:
        """Set top-level fields of the body sent upstream."""
        assert self.body is not None
        self.body.update(fields)
        self.body_changed = True

    def replace_body(self, body: dict[str, Any]) -> None:
        """Send `body` upstream instead of the caller's (a compression result)."""
        self.body = body
        self.body_changed = True

    @property
    def model(self) -> str | None:
        """The model that will be (or was) sent upstream."""
        if self.body is None:
            return self.original_model
        model = self.body.get("model")
        return model if isinstance(model, str) else None

    def control(self, name: str) -> str | None:
        """An `x-optera-*` request control, lower-cased, or None."""
        return self.controls.get(name)

    @property
    def is_chat(self) -> bool:
        return self.path in ("/v1/chat/completions", "/v1/messages")


Next = Callable[[Exchange], Awaitable[Reply]]
