"""retry: identical requests sent again shortly after, and upstream error bursts.

A retry is a request whose exact body came in within a short window after
the same body; bodies repeated many times within a minute are agent loops
and left to runaway.py. A burst is one model's upstream failing on most of
its requests minute after minute.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby, pairwise

from sqlalchemy.engine import Engine

from appliance.jobs.sighting import SightingBuilder, minute_of
from appliance.settings import RetryLeakSettings
from appliance.store import scan_queries
from appliance.store.findings import Sighting
from appliance.store.scan_queries import Period, UsageRow

PATTERN = "retry"


def detect(
    engine: Engine, period: Period, settings: RetryLeakSettings, loop_per_minute: int
) -> list[Sighting]:
    return _retries(engine, period, settings, loop_per_minute) + _bursts(
        engine, period, settings
    )


def failed(row: UsageRow) -> bool:
    return row.status >= 400 or row.aborted


def _retries(
    engine: Engine, period: Period, settings: RetryLeakSettings, loop_per_minute: int
) -> list[Sighting]:
    builders: dict[tuple[str, str], SightingBuilder] = {}
    after_failure: Counter[tuple[str, str]] = Counter()
    bodies: Counter[tuple[str, str]] = Counter()
    for _, group in groupby(
        scan_queries.repeats(engine, period),
        key=lambda r: (r.workspace_id, r.request_hash),
    ):
        sent = list(group)
        if _is_loop(sent, loop_per_minute):
            continue
        subject = (sent[0].workspace_id, sent[0].subject)
        builder = builders.get(subject) or builders.setdefault(
            subject, SightingBuilder(subject[0], PATTERN, subject[1])
        )
        retried = _add_retries(builder, sent, settings.window_seconds)
        after_failure[subject] += retried[1]
        bodies[subject] += retried[0] > 0
    return [
        _retry_sighting(builder, after_failure[key], bodies[key], settings)
        for key, builder in builders.items()
        if builder.total.count >= settings.min_retries
    ]


def _is_loop(sent: list[UsageRow], loop_per_minute: int) -> bool:
    per_minute = Counter(minute_of(row.created_at) for row in sent)
    return max(per_minute.values()) >= loop_per_minute


def _add_retries(
    builder: SightingBuilder, sent: list[UsageRow], window_seconds: int
) -> tuple[int, int]:
    """Count the retries among one body's sends: (retries, after a failure).

    Repeating a success pays for the answer twice: the retry's own tokens are
    the waste. Repeating a failure only wastes what the failed try was billed.
    """
    retries = after_failure = 0
    for before, again in pairwise(sent):
        gap = (again.created_at - before.created_at).total_seconds()
        if gap > window_seconds:
            continue
        retries += 1
        if failed(before):
            after_failure += 1
            tokens = before.prompt_tokens + before.completion_tokens
            builder.add(again, tokens, before.cost_usd)
        else:
            tokens = again.prompt_tokens + again.completion_tokens
            builder.add(again, tokens, again.cost_usd)
    return retries, after_failure


def _retry_sighting(
    builder: SightingBuilder,
    after_failure: int,
    bodies: int,
    settings: RetryLeakSettings,
) -> Sighting:
    detail = (
        f"{builder.total.count} requests repeated an identical request body sent "
        f"at most {settings.window_seconds}s before ({bodies} distinct bodies; "
        f"{after_failure} retried an error, timeout or aborted stream). Estimated "
        "waste: a repeat of a success costs its own tokens and dollars (the answer "
        "was paid for twice); a repeat of a failure counts what the failed try was "
        "billed, usually nothing."
    )
    return builder.build(detail, min_count=settings.min_retries)


def _bursts(
    engine: Engine, period: Period, settings: RetryLeakSettings
) -> list[Sighting]:
    sightings = []
    rows = scan_queries.upstream_failures(
        engine, period, settings.error_burst_per_minute, settings.error_burst_share
    )
    for (workspace_id, model), group in groupby(
        rows, key=lambda r: (r.workspace_id, r.model)
    ):
        builder = SightingBuilder(workspace_id, PATTERN, f"upstream:{model}")
        statuses: Counter[str] = Counter()
        for row in group:
            tokens = row.prompt_tokens + row.completion_tokens
            builder.add(row, tokens, row.cost_usd)
            statuses[_failure_name(row)] += 1
        sightings.append(_burst_sighting(builder, model, statuses, settings))
    return sightings


def _burst_sighting(
    builder: SightingBuilder,
    model: str,
    statuses: Counter[str],
    settings: RetryLeakSettings,
) -> Sighting:
    seen = ", ".join(f"{status} x{n}" for status, n in sorted(statuses.items()))
    detail = (
        f"The upstream of {model or 'an unnamed model'} failed "
        f"{builder.total.count} times over {len(builder.minutes)} minute(s), each "
        f"with at least {settings.error_burst_per_minute} failures and "
        f"{settings.error_burst_share:.0%} of its requests failing ({seen}). "
        "Estimated waste: the tokens and cost recorded on the failed requests; "
        "failures are rarely billed, their cost is the retries and waiting they "
        "cause."
    )
    return builder.build(detail, min_count=settings.error_burst_per_minute)


def _failure_name(row: UsageRow) -> str:
    """The HTTP status the upstream sent, or how reaching it failed."""
    if row.error_type == "upstream_error" or row.error_type is None:
        return str(row.status)
    return row.error_type
