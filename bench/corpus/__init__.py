"""Realistic requests for the compression bench, one module per kind.

Built in code, so the photo is drawn with Pillow at run time and no binary
file sits in the repository.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from . import agent, chat, log, photo, rag


class Sample(NamedTuple):
    name: str
    protocol: str
    body: dict[str, Any]


def samples() -> list[Sample]:
    return [
        Sample("rag, document twice", "openai", rag.request()),
        Sample("agent loop, long tools", "anthropic", agent.request()),
        Sample("60-turn chat", "openai", chat.request()),
        Sample("pasted log", "openai", log.request()),
        Sample("phone photo 4032x3024", "openai", photo.request()),
    ]
