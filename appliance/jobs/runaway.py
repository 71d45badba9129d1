"""runaway_prompt: prompts that keep growing turn after turn, and agent loops.

Growth is looked for in each conversation first, then in each feature tag's
(or proxy key's) run of requests across conversations; a subject already
flagged for its conversations is not flagged again for its run. A loop is
one conversation sent many times within a minute at a near-constant size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby, pairwise

from sqlalchemy.engine import Engine

from appliance.jobs.sighting import SightingBuilder, minute_of, priced
from appliance.settings import RunawayLeakSettings
from appliance.store import scan_queries
from appliance.store.findings import Sighting
from appliance.store.scan_queries import Period, UsageRow

PATTERN = "runaway_prompt"


@dataclass
class _Growth:
    """What the detail of one subject's growth finding reports."""

    builder: SightingBuilder
    runs: int = 0
    longest: int = 0
    first: int = 0
    last: int = 0


@dataclass
class _Run:
    """A subject's prompt sizes so far, in time order."""

    first: int
    last: int
    turns: int = 1
    grew: int = 0

    def add(self, prompt: int) -> None:
        self.turns += 1
        self.grew += prompt > self.last
        self.last = prompt


def detect(
    engine: Engine, period: Period, settings: RunawayLeakSettings
) -> list[Sighting]:
    conversations = _conversations(engine, period, settings)
    runs = _subjects(engine, period, settings, skip=set(conversations))
    sightings = [
        _growth_sighting(g, settings, "conversation") for g in conversations.values()
    ]
    sightings += [_growth_sighting(g, settings, "subject") for g in runs.values()]
    return sightings + _loops(engine, period, settings)


def grows(
    turns: int, grew: int, first: int, last: int, rules: RunawayLeakSettings
) -> bool:
    """Enough turns, growing on most of them, ending `growth_factor` times larger."""
    return (
        turns >= rules.min_turns
        and grew >= rules.growing_share * (turns - 1)
        and last >= rules.growth_factor * first
    )


def _conversations(
    engine: Engine, period: Period, settings: RunawayLeakSettings
) -> dict[tuple[str, str], _Growth]:
    found: dict[tuple[str, str], _Growth] = {}
    rows = scan_queries.growing_conversations(
        engine, period, settings.min_turns, settings.growth_factor
    )
    for _, group in groupby(rows, key=lambda r: (r.workspace_id, r.conversation_hash)):
        turns = list(group)
        grew = sum(b.prompt_tokens > a.prompt_tokens for a, b in pairwise(turns))
        first, last = turns[0].prompt_tokens, turns[-1].prompt_tokens
        if grows(len(turns), grew, first, last, settings):
            _add_run(_growth_of(found, turns[0]), turns)
    return found


def _subjects(
    engine: Engine,
    period: Period,
    settings: RunawayLeakSettings,
    skip: set[tuple[str, str]],
) -> dict[tuple[str, str], _Growth]:
    """Subjects growing across conversations: one pass in time order, one state
    per subject, then the records of the few that grew."""
    runs: dict[tuple[str, str], _Run] = {}
    for workspace_id, subject, prompt in scan_queries.prompt_sizes(engine, period):
        run = runs.get((workspace_id, subject))
        if run is None:
            runs[(workspace_id, subject)] = _Run(prompt, prompt)
        else:
            run.add(prompt)
    grown = [
        key
        for key, run in runs.items()
        if key not in skip and grows(run.turns, run.grew, run.first, run.last, settings)
    ]
    found: dict[tuple[str, str], _Growth] = {}
    rows = scan_queries.subject_records(engine, period, grown)
    for _, group in groupby(rows, key=lambda r: (r.workspace_id, r.subject)):
        turns = list(group)
        _add_run(_growth_of(found, turns[0]), turns)
    return found


def _growth_of(found: dict[tuple[str, str], _Growth], row: UsageRow) -> _Growth:
    subject = (row.workspace_id, row.subject)
    if subject not in found:
        builder = SightingBuilder(row.workspace_id, PATTERN, f"growing:{row.subject}")
        found[subject] = _Growth(builder)
    return found[subject]


def _add_run(growth: _Growth, turns: list[UsageRow]) -> None:
    """Every turn re-sends what came before it: the excess over the first turn."""
    base = turns[0].prompt_tokens
    for turn in turns:
        excess = max(0, turn.prompt_tokens - base)
        growth.builder.add(turn, excess, priced(turn, excess), evidence=False)
    growth.builder.cite(turns[-1].request_id)
    growth.runs += 1
    if len(turns) > growth.longest:
        growth.longest, growth.first, growth.last = (
            len(turns),
            base,
            turns[-1].prompt_tokens,
        )


def _growth_sighting(
    growth: _Growth, settings: RunawayLeakSettings, by: str
) -> Sighting:
    builder = growth.builder
    if by == "conversation":
        what = (
            f"{growth.runs} conversation(s) grew turn after turn; the longest ran "
            f"{growth.longest} turns, its prompt going from {growth.first} to "
            f"{growth.last} tokens."
        )
        base = "its conversation's first turn"
    else:
        what = (
            f"Prompts kept growing request after request across conversations: "
            f"{growth.longest} requests, from {growth.first} to {growth.last} tokens."
        )
        base = "the run's first request"
    detail = (
        f"{what} Estimated waste: each request's prompt tokens beyond {base} "
        "(history re-sent; trimming or summarizing it saves at most this), priced "
        "at that request's own average cost per token."
    )
    return builder.build(detail, min_count=settings.min_turns)


def _loops(
    engine: Engine, period: Period, settings: RunawayLeakSettings
) -> list[Sighting]:
    builders: dict[tuple[str, str], SightingBuilder] = {}
    busiest: dict[tuple[str, str], int] = {}
    rows = scan_queries.loops(
        engine, period, settings.loop_per_minute, settings.loop_size_spread
    )
    for _, group in groupby(rows, key=_loop_key):
        loop = list(group)
        subject = (loop[0].workspace_id, loop[0].subject)
        builder = builders.get(subject) or builders.setdefault(
            subject, SightingBuilder(subject[0], PATTERN, f"loop:{subject[1]}")
        )
        for _, minute in groupby(loop, key=lambda r: minute_of(r.created_at)):
            sent = _add_loop_minute(builder, list(minute))
            busiest[subject] = max(busiest.get(subject, 0), sent)
    return [
        _loop_sighting(builder, busiest[subject], settings)
        for subject, builder in builders.items()
    ]


def _loop_key(row: UsageRow) -> tuple[str, str | None]:
    return row.workspace_id, row.conversation_hash or row.request_hash


def _add_loop_minute(builder: SightingBuilder, rows: Iterable[UsageRow]) -> int:
    """The first request of the minute is the one the loop meant; the rest repeat it."""
    sent = 0
    for sent, row in enumerate(rows, start=1):
        wasted = 0 if sent == 1 else row.prompt_tokens + row.completion_tokens
        usd = Decimal(0) if sent == 1 else row.cost_usd
        builder.add(row, wasted, usd, evidence=sent > 1)
    return sent


def _loop_sighting(
    builder: SightingBuilder, busiest: int, settings: RunawayLeakSettings
) -> Sighting:
    detail = (
        f"An agent loop: {builder.total.count} near-identical requests (one "
        f"conversation, prompts within {settings.loop_size_spread:.0%} of one size) "
        f"in minutes of {settings.loop_per_minute} or more; the busiest minute sent "
        f"{busiest}. Estimated waste: the tokens and cost of every request after "
        "the first in each such minute."
    )
    return builder.build(detail, min_count=settings.loop_per_minute)
