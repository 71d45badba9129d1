"""Finds the parts of a text no compression step may touch.

Protected: fenced code blocks, quoted lines (`> ...`) and JSON values that
start a line. Everything else is free text that steps may edit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

FENCE = re.compile(r"[ \t]{0,3}(?P<fence>`{3,}|~{3,})")
QUOTE = re.compile(r"[ \t]*>")
DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Span:
    text: str
    protected: bool


def split(text: str) -> list[Span]:
    """`text` cut into free and protected spans; joined they give `text` back."""
    bounds: list[tuple[int, int, bool]] = []
    offset = 0
    while offset < len(text):
        end = _protected_end(text, offset)
        if end is None:
            _extend(bounds, offset, _line_end(text, offset), False)
            offset = _line_end(text, offset)
        else:
            _extend(bounds, offset, end, True)
            offset = end
    return [Span(text[start:end], protected) for start, end, protected in bounds]


def edit_free(text: str, edit: Callable[[str], str]) -> str:
    """`text` with `edit` applied to each free span; protected spans kept."""
    return "".join(
        span.text if span.protected else edit(span.text) for span in split(text)
    )


def is_protected(text: str) -> bool:
    """True when any part of `text` is protected."""
    return any(span.protected for span in split(text))


def _protected_end(text: str, offset: int) -> int | None:
    """Where a protected block starting at this line ends, or None."""
    line_end = _line_end(text, offset)
    line = text[offset:line_end]
    fence = FENCE.match(line)
    if fence is not None:
        return _fence_end(text, line_end, fence.group("fence"))
    if QUOTE.match(line):
        return line_end
    stripped = line.lstrip()
    if stripped[:1] in ("{", "["):
        return _json_end(text, offset + len(line) - len(stripped))
    return None


def _fence_end(text: str, offset: int, fence: str) -> int:
    closing = re.compile(rf"[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    while offset < len(text):
        line_end = _line_end(text, offset)
        if closing.match(text[offset:line_end].rstrip("\r\n")):
            return line_end
        offset = line_end
    return len(text)


def _json_end(text: str, start: int) -> int | None:
    try:
        _, end = DECODER.raw_decode(text, start)
    except ValueError:
        return None
    return (
        _line_end(text, end) if text[end : _line_end(text, end)].strip() == "" else end
    )


def _line_end(text: str, offset: int) -> int:
    newline = text.find("\n", offset)
    return len(text) if newline == -1 else newline + 1


def _extend(
    bounds: list[tuple[int, int, bool]], start: int, end: int, kind: bool
) -> None:
    if bounds and bounds[-1][2] == kind:
        bounds[-1] = (bounds[-1][0], end, kind)
    else:
        bounds.append((start, end, kind))
