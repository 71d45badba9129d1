"""Repetition removal: text sent twice is kept once, runs of lines collapse.

A passage of lines seen earlier in the request (system first, then the
messages in order) is replaced by a short marker; a line or block of lines
repeated back to back is kept once with a marker saying how many copies
went; runs of blanks shrink, except in tool results, whose exact text an
agent may quote back in an edit. Code, JSON and quoted lines are never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from appliance.compression import protected
from appliance.compression.options import CompressionOptions
from appliance.compression.result import StepResult
from appliance.compression.textparts import TextPart, edit_texts
from appliance.tokens import TokenCounter

MIN_REPEAT_CHARS = 200
MIN_ANCHOR_CHARS = 20
MAX_CANDIDATES = 8
MIN_DROPPED_LINES = 3
MAX_BLOCK_LINES = 20
TRAILING_BLANKS = re.compile(r"[ \t]+(?=\r?\n|\Z)")
BLANK_LINES = re.compile(r"\n(?:[ \t]*\r?\n){2,}")
INNER_BLANKS = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
NOT_PROSE = re.compile(r"""^[ \t]|["`{}\[\]()<>|=;#\\\u201c\u201d]""")


@dataclass
class _Deduper:
    """Removes repetition from one request, remembering the lines it kept."""

    seen: list[str] = field(default_factory=list)
    where: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("passages_removed", "lines_dropped", "blank_chars_removed"), 0
        )
    )

    def edit(self, part: TextPart) -> str:
        if part.role == "tool":
            return protected.edit_free(part.text, self._dedupe)
        return protected.edit_free(part.text, self._free)

    def _free(self, text: str) -> str:
        return self._shrink_blanks(self._dedupe(text))

    def _dedupe(self, text: str) -> str:
        return self._repeats(self._collapse_runs(text))

    def _collapse_runs(self, text: str) -> str:
        lines = text.splitlines(keepends=True)
        keys = [line.rstrip() for line in lines]
        kept: list[str] = []
        index = 0
        while index < len(lines):
            period, repeats = _longest_run(keys, index)
            if (repeats - 1) * period < MIN_DROPPED_LINES:
                kept.append(lines[index])
                index += 1
                continue
            end = index + period * repeats
            kept.extend(lines[index : index + period])
            kept.append(_run_marker(period, repeats - 1, lines[end - 1]))
            self.counts["lines_dropped"] += period * (repeats - 1)
            index = end
        return "".join(kept)

    def _repeats(self, text: str) -> str:
        lines = text.splitlines(keepends=True)
        keys = [line.rstrip() for line in lines]
        kept: list[str] = []
        index = 0
        while index < len(lines):
            length = self._earlier_run(keys, index)
            if length:
                kept.append(_repeat_marker(lines[index + length - 1]))
                self.counts["passages_removed"] += 1
                index += length
                continue
            kept.append(lines[index])
            self._remember(keys[index])
            index += 1
        return "".join(kept)

    def _earlier_run(self, keys: list[str], index: int) -> int:
        """Lines from `index` on that already appeared, in order, earlier."""
        if len(keys[index].strip()) < MIN_ANCHOR_CHARS:
            return 0
        best = 0
        for start in self.where.get(keys[index], [])[-MAX_CANDIDATES:]:
            length = 0
            while (
                index + length < len(keys)
                and start + length < len(self.seen)
                and self.seen[start + length] == keys[index + length]
            ):
                length += 1
            best = max(best, _anchored(keys, index, length))
        size = sum(len(key) for key in keys[index : index + best])
        return best if size >= MIN_REPEAT_CHARS else 0

    def _remember(self, key: str) -> None:
        if len(key.strip()) >= MIN_ANCHOR_CHARS:
            self.where.setdefault(key, []).append(len(self.seen))
        self.seen.append(key)

    def _shrink_blanks(self, text: str) -> str:
        shrunk = TRAILING_BLANKS.sub("", text)
        shrunk = BLANK_LINES.sub("\n\n", shrunk)
        shrunk = "".join(
            line if NOT_PROSE.search(line) else INNER_BLANKS.sub(" ", line)
            for line in shrunk.splitlines(keepends=True)
        )
        self.counts["blank_chars_removed"] += len(text) - len(shrunk)
        return shrunk


def _longest_run(keys: list[str], index: int) -> tuple[int, int]:
    """(block length, copies) of the longest back-to-back repeat at `index`."""
    best = (1, 1)
    for period in range(1, MAX_BLOCK_LINES + 1):
        follower = index + period
        if follower + period > len(keys) or keys[follower] != keys[index]:
            continue
        block = keys[index:follower]
        if not any(block) or keys[follower : follower + period] != block:
            continue
        repeats = 2
        while keys[index + repeats * period : index + (repeats + 1) * period] == block:
            repeats += 1
        if (repeats - 1) * period > (best[1] - 1) * best[0]:
            best = (period, repeats)
    return best


def _run_marker(period: int, dropped: int, last_line: str) -> str:
    what = "previous line" if period == 1 else f"previous {period} lines"
    newline = "\n" if last_line.endswith("\n") else ""
    return f"[{what} repeated {dropped} more times]{newline}"


def _anchored(keys: list[str], index: int, length: int) -> int:
    """`length` without trailing short lines, so closing tags and blanks stay."""
    while length and len(keys[index + length - 1].strip()) < MIN_ANCHOR_CHARS:
        length -= 1
    return length


def _repeat_marker(last_line: str) -> str:
    newline = "\n" if last_line.endswith("\n") else ""
    return f"[passage removed: it repeats text earlier in this request]{newline}"


def apply(
    body: dict[str, Any],
    protocol: str,
    counter: TokenCounter,
    model: str,
    options: CompressionOptions,
) -> StepResult:
    """Remove repeated passages, runs of repeated lines and blank runs."""
    before = counter.count_request(protocol, body)
    deduper = _Deduper()
    new = edit_texts(body, protocol, deduper.edit)
    if new is body:
        return StepResult.unchanged(body, before)
    after = counter.count_request(protocol, new)
    detail = {kind: n for kind, n in deduper.counts.items() if n}
    return StepResult(new, True, before, after, detail)
