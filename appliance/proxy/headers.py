"""The savings and quota headers Optera adds to every answer."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from appliance.pipeline.context import Exchange
from appliance.providers.base import CONTROL_CHARACTER

SAVINGS_HEADERS = (
    "X-Tokens-Saved",
    "X-Cost-Saved-USD",
    "X-Cache-Hit",
    "X-Semantic-Cache-Hit",
    "X-Model-Routed",
    "X-Original-Model",
    "X-Request-Compressed",
    "X-Preamble-Stripped",
    "X-Repetition-Removed",
    "X-Conversation-Summarized",
    "X-Tools-Compressed",
    "X-Image-Optimized",
    "X-Provider-Cache-Hit",
    "X-Provider-Cache-Savings-USD",
)
QUOTA_HEADERS = (
    "X-Optera-Quota-Limit",
    "X-Optera-Quota-Remaining",
    "X-Optera-Quota-Reset",
)
EXPOSED = (*SAVINGS_HEADERS, *QUOTA_HEADERS, "X-Optera-Request-Id")
# Names as an answer carries them: lower-cased bytes, encoded once.
WIRE_NAMES = {name: name.lower().encode() for name in EXPOSED}
OURS = frozenset(WIRE_NAMES.values())


def usd(amount: Decimal) -> str:
    """A dollar figure as a plain decimal string, never in exponent form."""
    return format(amount.normalize(), "f") if amount else "0"


def flag(value: bool) -> str:
    return "true" if value else "false"


def savings_headers(ex: Exchange) -> dict[str, str]:
    s = ex.savings
    # A passed-through request's model is not validated; a header cannot
    # carry a control character.
    model = CONTROL_CHARACTER.sub("", ex.model or "")
    original = CONTROL_CHARACTER.sub("", ex.original_model or "") or model
    return {
        "X-Tokens-Saved": str(s.tokens_saved),
        "X-Cost-Saved-USD": usd(s.usd_saved),
        "X-Cache-Hit": flag(s.cache_hit),
        "X-Semantic-Cache-Hit": flag(s.semantic_hit),
        "X-Model-Routed": model,
        "X-Original-Model": original,
        "X-Request-Compressed": flag(s.compressed),
        "X-Preamble-Stripped": flag(s.preamble_stripped),
        "X-Repetition-Removed": flag(s.repetition_removed),
        "X-Conversation-Summarized": flag(s.conversation_summarized),
        "X-Tools-Compressed": flag(s.tools_compressed),
        "X-Image-Optimized": flag(s.image_optimized),
        "X-Provider-Cache-Hit": flag(s.provider_cache_hit),
        "X-Provider-Cache-Savings-USD": usd(s.provider_cache_usd),
    }


def quota_headers(ex: Exchange) -> dict[str, str]:
    if ex.quota is None:
        return {}
    return {
        "X-Optera-Quota-Limit": str(ex.quota.limit),
        "X-Optera-Quota-Remaining": str(ex.quota.remaining),
        "X-Optera-Quota-Reset": str(ex.quota.reset_epoch),
    }


def wire_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Header pairs as an ASGI answer carries them: lower-cased name bytes."""
    return [
        (WIRE_NAMES.get(name) or name.lower().encode("latin-1"), wire_value(value))
        for name, value in headers
    ]


def wire_value(value: str) -> bytes:
    """Header values travel as latin-1; one that is not (a model name in
    another script) goes as UTF-8, as it came in the caller's JSON."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
