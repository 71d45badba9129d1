"""Conversation summarization: older turns replaced by a cheaper model's summary.

Fires when the history passes the workspace's token threshold. The system
prompt and the latest turns stay verbatim; the cut falls only where a user
turn starts, so a tool call is never parted from its result, and it moves
in strides of several turns so one summary serves many requests. Summaries
are cached by the hash of the turns they replace; a summary that would cost
more than it saves is not written.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from appliance.compression import transcript
from appliance.compression.breakpoints import caller_breakpoints
from appliance.compression.options import CompressionOptions
from appliance.compression.result import StepResult
from appliance.compression.summary_cache import LRUSummaryCache, SummaryCache
from appliance.providers.usage import Usage, anthropic_usage, openai_usage
from appliance.tokens import TokenCounter

log = logging.getLogger(__name__)

SummarizeCall = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
Price = Callable[[str, int, int], Decimal]

CACHE_VERSION = "summary-v1"
MILLION = 1_000_000
INSTRUCTIONS = (
    "You compress the start of a conversation between a user and an AI assistant "
    "so that the assistant can continue it without the full text. Write a "
    "factual summary in the third person. Keep every name, number, date, "
    "identifier, file name, decision, open question and instruction the user "
    "gave; copy code, commands and exact quotes word for word. Say which tools "
    "were called and what they returned. Do not add anything that is not in "
    "the conversation and do not answer it."
)
SUMMARY_HEADER = "Summary of the earlier part of this conversation:\n"


@dataclass(frozen=True)
class _Plan:
    """Which messages go, which stay, and what the summary would save."""

    head: list[Any]
    older: list[Any]
    kept: list[Any]
    key: str
    older_tokens: int
    transcript: str
    summary_model: str


class Summarizer:
    """The summarize step; holds the upstream call, the prices and the cache."""

    def __init__(
        self,
        summarize_call: SummarizeCall,
        price: Price,
        cache: SummaryCache | None = None,
    ) -> None:
        self._call = summarize_call
        self._price = price
        self._cache = cache if cache is not None else LRUSummaryCache()

    async def apply(
        self,
        body: dict[str, Any],
        protocol: str,
        counter: TokenCounter,
        model: str,
        options: CompressionOptions,
    ) -> StepResult:
        """Replace the older turns of a long conversation by a summary."""
        before = counter.count_request(protocol, body)
        plan = _plan(body, protocol, counter, options)
        if isinstance(plan, str):
            return StepResult.unchanged(body, before, reason=plan)
        summary = self._cache.get(plan.key)
        cost, source = Decimal(0), "cache"
        if summary is None:
            refusal = self._refusal(plan, counter, model, options)
            if refusal is not None:
                return StepResult.unchanged(body, before, reason=refusal)
            written = await self._write(plan, protocol, counter, options)
            if written is None:
                return StepResult.unchanged(body, before, reason="summarizer_failed")
            summary, cost, source = written[0], written[1], "upstream"
            self._cache.put(plan.key, summary)
        new = _rebuilt(body, protocol, plan, summary)
        after = counter.count_request(protocol, new)
        detail = {
            "messages_replaced": len(plan.older),
            "summary_tokens": counter.count_text(summary, model),
            "summary_model": plan.summary_model,
            "summary_source": source,
            "cost_usd": cost,
        }
        return StepResult(new, True, before, after, detail)

    def _refusal(
        self,
        plan: _Plan,
        counter: TokenCounter,
        model: str,
        options: CompressionOptions,
    ) -> str | None:
        """Why writing this summary would not pay for itself, or None."""
        cheap = plan.summary_model
        if self._price(cheap, MILLION, 0) >= self._price(model, MILLION, 0):
            return "no_cheaper_model"
        longest = options.summarize_max_tokens
        prompt = counter.count_text(INSTRUCTIONS + plan.transcript, cheap)
        cost = self._price(cheap, prompt, longest)
        saving = self._price(model, max(plan.older_tokens - longest, 0), 0)
        return None if saving > cost else "would_not_pay"

    async def _write(
        self,
        plan: _Plan,
        protocol: str,
        counter: TokenCounter,
        options: CompressionOptions,
    ) -> tuple[str, Decimal] | None:
        """(summary, what it cost) from the cheaper model, or None on failure."""
        request = _request(protocol, plan, options)
        try:
            async with asyncio.timeout(options.summarize_timeout_s):
                response = await self._call(protocol, request)
        except Exception:  # a failed summary must never fail the request
            log.warning(
                "summarizer call to %s failed", plan.summary_model, exc_info=True
            )
            return None
        summary = _summary_text(protocol, response)
        if not summary:
            log.warning("summarizer %s returned no text", plan.summary_model)
            return None
        usage = _usage(protocol, response) or Usage(
            input_tokens=counter.count_text(
                INSTRUCTIONS + plan.transcript, plan.summary_model
            ),
            output_tokens=counter.count_text(summary, plan.summary_model),
        )
        cost = self._price(plan.summary_model, usage.input_tokens, usage.output_tokens)
        return summary, cost


def _plan(
    body: dict[str, Any],
    protocol: str,
    counter: TokenCounter,
    options: CompressionOptions,
) -> _Plan | str:
    """The summary to write, or the reason there is none."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return "no_messages"
    head, rest = _split_head(messages, protocol)
    cheap = options.summary_model(protocol)
    history = counter.count_request(
        protocol, {"model": body.get("model"), "messages": rest}
    )
    if history <= options.summarize_threshold_tokens:
        return "below_threshold"
    cut = _cut(rest, options.summarize_keep_turns, options.summarize_stride_turns)
    if cut is None:
        return "no_turn_boundary"
    older, kept = rest[:cut], rest[cut:]
    if caller_breakpoints({"messages": older}):
        return "caller_cache_breakpoints"
    older_tokens = counter.count_request(
        protocol, {"model": body.get("model"), "messages": older}
    )
    return _Plan(
        head=head,
        older=older,
        kept=kept,
        key=_key(protocol, cheap, older),
        older_tokens=older_tokens,
        transcript=transcript.render(older, protocol),
        summary_model=cheap,
    )


def _split_head(messages: list[Any], protocol: str) -> tuple[list[Any], list[Any]]:
    """OpenAI's leading system messages, and the conversation after them."""
    if protocol == "anthropic":
        return [], messages
    index = 0
    while index < len(messages) and _role(messages[index]) in ("system", "developer"):
        index += 1
    return messages[:index], messages[index:]


def _cut(messages: list[Any], keep_turns: int, stride: int) -> int | None:
    """Where the kept part starts: a user turn, on a stride of whole turns."""
    starts = [i for i, message in enumerate(messages) if _starts_turn(message)]
    movable = len(starts) - max(keep_turns, 1)
    chosen = movable - movable % max(stride, 1)
    if chosen <= 0:
        return None
    return starts[chosen]


def _starts_turn(message: Any) -> bool:
    """A user message that is not a tool result."""
    if _role(message) != "user":
        return False
    content = message.get("content")
    if not isinstance(content, list):
        return True
    return not any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def _role(message: Any) -> str | None:
    return message.get("role") if isinstance(message, dict) else None


def _key(protocol: str, model: str, older: list[Any]) -> str:
    canonical = json.dumps(
        [CACHE_VERSION, protocol, model, older], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _request(protocol: str, plan: _Plan, options: CompressionOptions) -> dict[str, Any]:
    if protocol == "anthropic":
        return {
            "model": plan.summary_model,
            "max_tokens": options.summarize_max_tokens,
            "temperature": 0,
            "system": INSTRUCTIONS,
            "messages": [{"role": "user", "content": plan.transcript}],
        }
    return {
        "model": plan.summary_model,
        "max_tokens": options.summarize_max_tokens,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": plan.transcript},
        ],
    }


def _summary_text(protocol: str, response: dict[str, Any]) -> str:
    if protocol == "anthropic":
        blocks = response.get("content") or []
        texts = [b.get("text", "") for b in blocks if isinstance(b, dict)]
        return "".join(t for t in texts if isinstance(t, str)).strip()
    choices = response.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    return content.strip() if isinstance(content, str) else ""


def _usage(protocol: str, response: dict[str, Any]) -> Usage | None:
    read = anthropic_usage if protocol == "anthropic" else openai_usage
    return read(response.get("usage"))


def _rebuilt(
    body: dict[str, Any], protocol: str, plan: _Plan, summary: str
) -> dict[str, Any]:
    text = SUMMARY_HEADER + summary
    if protocol == "anthropic":
        return {
            **body,
            "system": _system_with(body.get("system"), text),
            "messages": plan.kept,
        }
    role = "developer" if any(_role(m) == "developer" for m in plan.head) else "system"
    note = {"role": role, "content": text}
    return {**body, "messages": [*plan.head, note, *plan.kept]}


def _system_with(system: Any, text: str) -> Any:
    """Anthropic's system prompt with the summary after it, the caller's kept."""
    if isinstance(system, list):
        return [*system, {"type": "text", "text": text}]
    if isinstance(system, str) and system:
        return f"{system}\n\n{text}"
    return text
