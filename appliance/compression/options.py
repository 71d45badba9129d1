"""Which compression steps run for a workspace, and the summarizer's knobs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CompressionOptions:
    """One workspace's compression settings; field names are the TOML keys."""

    preamble: bool = True
    repetition: bool = True
    summarize: bool = False
    tools: bool = True
    images: bool = True
    provider_cache_breakpoints: bool = True
    summarize_threshold_tokens: int = 6000
    summarize_keep_turns: int = 6
    summarize_stride_turns: int = 4
    summarize_max_tokens: int = 1024
    summarize_timeout_s: float = 60.0
    summary_model_openai: str = "gpt-4o-mini"
    summary_model_anthropic: str = "claude-haiku-4-5"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> CompressionOptions:
        """Options from a [compression] table; keys it does not know are ignored."""
        return cls().with_overrides(values)

    def with_overrides(self, values: Mapping[str, Any]) -> CompressionOptions:
        """A copy with the known keys of `values` (a workspace's overrides) set."""
        known = {f.name for f in dataclasses.fields(self)}
        return dataclasses.replace(
            self, **{k: v for k, v in values.items() if k in known}
        )

    def summary_model(self, protocol: str) -> str:
        """The cheaper model of the same provider that writes summaries."""
        if protocol == "anthropic":
            return self.summary_model_anthropic
        return self.summary_model_openai
