"""oversized_context: large prompts that get short answers.

A request is oversized when its answer is short and its prompt fills most of
the model's context window, or is many times the median prompt of its
feature tag (or proxy key) in the same workspace. A subject is flagged once
it sent a few of them within the scanned period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby

from sqlalchemy.engine import Engine

from appliance.jobs.context_windows import ContextWindows
from appliance.jobs.sighting import SightingBuilder, priced
from appliance.settings import OversizedLeakSettings
from appliance.store import scan_queries
from appliance.store.findings import Sighting
from appliance.store.scan_queries import LargePromptQuery, Period, UsageRow

PATTERN = "oversized_context"
NEVER = 1 << 62


@dataclass
class _Subject:
    """One subject's oversized requests, and why they were flagged."""

    builder: SightingBuilder
    filled: int = 0
    over_median: int = 0
    largest: int = 0
    median: int | None = None


@dataclass(frozen=True)
class _Rules:
    settings: OversizedLeakSettings
    windows: ContextWindows


def detect(
    engine: Engine,
    period: Period,
    settings: OversizedLeakSettings,
    windows: ContextWindows,
) -> list[Sighting]:
    sightings = []
    rules = _Rules(settings, windows)
    rows = scan_queries.large_prompts(engine, period, _query(period, settings, windows))
    for (workspace_id, subject), group in groupby(
        rows, key=lambda pair: (pair[0].workspace_id, pair[0].subject)
    ):
        found = _Subject(SightingBuilder(workspace_id, PATTERN, subject))
        for row, median in group:
            _add(found, row, median, rules)
        if found.builder.total.count >= settings.min_requests:
            sightings.append(_sighting(found, settings))
    return sightings


def _query(
    period: Period, settings: OversizedLeakSettings, windows: ContextWindows
) -> LargePromptQuery:
    smallest = windows.smallest()
    fill_floor = int(settings.context_share * smallest) if smallest else NEVER
    return LargePromptQuery(
        median_since=period.until - timedelta(hours=settings.median_hours),
        min_samples=settings.min_samples,
        short_answer_tokens=settings.short_answer_tokens,
        min_prompt_tokens=settings.min_prompt_tokens,
        median_factor=settings.median_factor,
        fill_floor_tokens=max(fill_floor, settings.min_prompt_tokens),
    )


def _add(found: _Subject, row: UsageRow, median: int | None, rules: _Rules) -> None:
    """Count `row` if it really is oversized: the query only narrowed it down."""
    settings = rules.settings
    window = rules.windows.find(row.model)
    fills = window is not None and row.prompt_tokens >= settings.context_share * window
    bloated = (
        median is not None and row.prompt_tokens >= settings.median_factor * median
    )
    if not (fills or bloated):
        return
    found.filled += fills
    found.over_median += bloated
    found.largest = max(found.largest, row.prompt_tokens)
    found.median = median
    reference = min(median or NEVER, window // 4 if window else NEVER)
    excess = max(0, row.prompt_tokens - reference)
    found.builder.add(row, excess, priced(row, excess))


def _sighting(found: _Subject, settings: OversizedLeakSettings) -> Sighting:
    builder = found.builder
    median = f"{found.median} tokens" if found.median is not None else "unknown"
    detail = (
        f"{builder.total.count} requests answered in at most "
        f"{settings.short_answer_tokens} tokens sent prompts of up to "
        f"{found.largest} tokens: {found.filled} filled at least "
        f"{settings.context_share:.0%} of the model's context window, "
        f"{found.over_median} were {settings.median_factor:g} times or more the "
        f"median prompt of the same subject ({median}). Estimated waste: prompt "
        "tokens above that median (and above a quarter of the context window at "
        "most), priced at each request's own average cost per token."
    )
    return builder.build(detail, min_count=settings.min_requests)
