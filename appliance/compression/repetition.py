"""Repetition removal: text sent twice is kept once, runs of lines collapse.

A long paragraph seen earlier in the request (system first, then the
messages in order) is replaced by a short marker; a line or block of lines
repeated back to back is kept once with a marker saying how many copies
went; runs of blanks shrink. Code, JSON and quoted lines are never touched.
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

MIN_PARAGRAPH_CHARS = 200
MIN_DROPPED_LINES = 3
MAX_BLOCK_LINES = 20
PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n)")
TRAILING_BLANKS = re.compile(r"[ \t]+(?=\r?\n|\Z)")
BLANK_LINES = re.compile(r"\n(?:[ \t]*\r?\n){2,}")
INNER_BLANKS = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
NOT_PROSE = re.compile(r"""^[ \t]|["`{}\[\]()<>|=;#\\\u201c\u201d]""")


@dataclass
class _Deduper:
    """Removes repetition from one request, remembering paragraphs seen."""

    seen: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("paragraphs_removed", "lines_dropped", "blank_chars_removed"), 0
        )
    )

    def edit(self, part: TextPart) -> str:
        return protected.edit_free(part.text, self._free)

    def _free(self, text: str) -> str:
        text = self._collapse_runs(text)
        text = self._paragraphs(text)
        return self._shrink_blanks(text)

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

    def _paragraphs(self, text: str) -> str:
        pieces = PARAGRAPH_BREAK.split(text)
        removed_run = 0
        out: list[str] = []
        for position, piece in enumerate(pieces):
            if position % 2 == 1:
                if not removed_run:
                    out.append(piece)
                continue
            if self._is_repeat(piece):
                removed_run += 1
                continue
            if removed_run:
                out.append(_paragraph_marker(removed_run, pieces[position - 1]))
                removed_run = 0
            out.append(piece)
        if removed_run:
            out.append(_paragraph_marker(removed_run, ""))
        return "".join(out)

    def _is_repeat(self, paragraph: str) -> bool:
        key = paragraph.strip()
        if len(key) < MIN_PARAGRAPH_CHARS:
            return False
        if key in self.seen:
            self.counts["paragraphs_removed"] += 1
            return True
        self.seen.add(key)
        return False

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


def _paragraph_marker(count: int, separator: str) -> str:
    what = "paragraph" if count == 1 else f"{count} paragraphs"
    return f"[{what} removed: repeats text earlier in this request]{separator}"


def apply(
    body: dict[str, Any],
    protocol: str,
    counter: TokenCounter,
    model: str,
    options: CompressionOptions,
) -> StepResult:
    """Remove repeated paragraphs, runs of repeated lines and blank runs."""
    before = counter.count_request(protocol, body)
    deduper = _Deduper()
    new = edit_texts(body, protocol, deduper.edit)
    if new is body:
        return StepResult.unchanged(body, before)
    after = counter.count_request(protocol, new)
    detail = {kind: n for kind, n in deduper.counts.items() if n}
    return StepResult(new, True, before, after, detail)
