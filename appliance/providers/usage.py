"""Token usage as the providers report it, normalised to one shape.

`input_tokens` is every prompt token, cached or not (genai-prices' meaning);
`cache_read_tokens` and `cache_write_tokens` are the parts of it that the
provider's prompt cache read or wrote.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )


def openai_usage(usage: dict | None) -> Usage | None:
    """Usage from an OpenAI `usage` object (chat completions or embeddings).

    OpenAI's prompt_tokens already include the cached ones and its
    completion_tokens already include reasoning.
    """
    if not isinstance(usage, dict):
        return None
    prompt = _int(usage.get("prompt_tokens", usage.get("input_tokens")))
    completion = _int(usage.get("completion_tokens", usage.get("output_tokens")))
    prompt_details = (
        usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    )
    completion_details = (
        usage.get("completion_tokens_details")
        or usage.get("output_tokens_details")
        or {}
    )
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        cache_read_tokens=_int(prompt_details.get("cached_tokens")),
        reasoning_tokens=_int(completion_details.get("reasoning_tokens")),
    )


def anthropic_usage(usage: dict | None) -> Usage | None:
    """Usage from an Anthropic `usage` object.

    Anthropic's input_tokens exclude both cache classes, so they are added
    back to make `input_tokens` the whole prompt.
    """
    if not isinstance(usage, dict):
        return None
    read = _int(usage.get("cache_read_input_tokens"))
    write = _int(usage.get("cache_creation_input_tokens"))
    return Usage(
        input_tokens=_int(usage.get("input_tokens")) + read + write,
        output_tokens=_int(usage.get("output_tokens")),
        cache_read_tokens=read,
        cache_write_tokens=write,
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
