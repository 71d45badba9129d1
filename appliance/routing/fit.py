"""The never-route rules: a request stays on the asked model when the cheaper
model lacks anything the request uses.

`refusal` answers with the first rule that fails, as a short reason for the
log, or None when the cheaper model can take the request as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.routing.capabilities import ModelCapabilities
from appliance.routing.needs import Needs

MESSAGE_OVERHEAD_TOKENS = 8
IMAGE_TOKENS = 8500
Rule = Callable[[Needs, ModelCapabilities], str | None]


def refusal(
    needs: Needs, target: ModelCapabilities, prompt_tokens: Callable[[], int]
) -> str | None:
    """Why `target` cannot answer a request with `needs`, or None if it can.

    `prompt_tokens` (images included) is called only when the free byte
    bound of the prompt does not fit the target's context window.
    """
    for rule in RULES:
        reason = rule(needs, target)
        if reason is not None:
            return reason
    return _context(needs, target, prompt_tokens)


def _vision(needs: Needs, target: ModelCapabilities) -> str | None:
    if needs.images and not target.vision:
        return "vision"
    if needs.images and not target.cheaper_for_images:
        return "images cost more on the cheaper model"
    return None


def _parts(needs: Needs, target: ModelCapabilities) -> str | None:
    return f"input part {needs.other_parts[0]}" if needs.other_parts else None


def _tools(needs: Needs, target: ModelCapabilities) -> str | None:
    return "tools" if needs.function_tools and not target.tools else None


def _builtin_tools(needs: Needs, target: ModelCapabilities) -> str | None:
    missing = [t for t in needs.builtin_tools if t not in target.builtin_tools]
    return f"builtin tool {missing[0]}" if missing else None


def _structured(needs: Needs, target: ModelCapabilities) -> str | None:
    if needs.structured_output and not target.structured_outputs:
        return "structured outputs"
    return "json mode" if needs.json_mode and not target.json_mode else None


def _reasoning(needs: Needs, target: ModelCapabilities) -> str | None:
    asked = needs.thinking or needs.reasoning_effort is not None
    if asked and not target.reasoning:
        return "reasoning"
    effort = needs.reasoning_effort
    if effort is not None and target.reasoning_efforts:
        return None if effort in target.reasoning_efforts else f"effort {effort}"
    return None


def _params(needs: Needs, target: ModelCapabilities) -> str | None:
    refused = sorted(needs.params & target.unsupported_params)
    return f"parameter {refused[0]}" if refused else None


def _output(needs: Needs, target: ModelCapabilities) -> str | None:
    budget = needs.max_output or 0
    return "max output" if budget > target.max_output else None


def _context(
    needs: Needs, target: ModelCapabilities, prompt_tokens: Callable[[], int]
) -> str | None:
    """Prompt plus output budget must fit the window. Byte-level tokenizers
    never make more tokens than the text has UTF-8 bytes, so the byte count
    (plus a generous allowance per image) settles most requests for free."""
    room = target.context_window - (needs.max_output or 0)
    fixed = needs.messages * MESSAGE_OVERHEAD_TOKENS + needs.images * IMAGE_TOKENS
    if needs.text_bytes + fixed <= room:
        return None
    return None if prompt_tokens() <= room else "context window"


RULES: tuple[Rule, ...] = (
    _vision,
    _parts,
    _tools,
    _builtin_tools,
    _structured,
    _reasoning,
    _params,
    _output,
)
