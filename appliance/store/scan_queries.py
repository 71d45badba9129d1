"""The bulk reads of the leak scans: SQL aggregates over recent usage records.

Each query lets SQLite group and rank the scanned period and streams back
only the records of the candidate patterns, so a scan's memory stays bounded
by what it finds, not by how much traffic it reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.engine import Engine

from appliance.store.models import UsageRecord

TABLE = UsageRecord.__tablename__

# Who a pattern belongs to: its feature tag, else the proxy key that sent it.
SUBJECT = "COALESCE('feature=' || {t}feature_tag, 'key=' || {t}key_id, 'untagged')"
IN_PERIOD = (
    "{t}created_at >= :since AND {t}created_at < :until AND {t}workspace_id IS NOT NULL"
)
# 1 or 0, never NULL: AVG over it is the failing share of all requests.
UPSTREAM_FAILED = (
    "(CASE WHEN {t}error_type IN ('upstream_timeout', 'upstream_unreachable')"
    " OR ({t}error_type = 'upstream_error'"
    " AND ({t}status >= 500 OR {t}status = 429)) THEN 1 ELSE 0 END)"
)
# In `(+u.workspace_id, ...) IN (candidates)` the unary plus keeps SQLite from
# looking records up workspace by workspace (which runs the candidate query
# twice): the period is read once, in time order, and matched against them.
ROW = (
    "{t}request_id, {t}created_at, {t}workspace_id, {t}key_id, {t}feature_tag,"
    " {t}team_tag, {t}user_tag, COALESCE({t}sent_model, {t}original_model, ''),"
    " {t}status, {t}aborted, {t}error_type, {t}cache, {t}prompt_tokens,"
    " {t}completion_tokens,"
    " {t}cost_usd, {t}request_hash, {t}conversation_hash, " + SUBJECT
)


class UsageRow(NamedTuple):
    """The columns of one usage record a scan reads; never the prompt text."""

    request_id: str
    created_at: datetime
    workspace_id: str
    key_id: str | None
    feature_tag: str | None
    team_tag: str | None
    user_tag: str | None
    model: str
    status: int
    aborted: bool
    error_type: str | None
    cache: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    request_hash: str | None
    conversation_hash: str | None
    subject: str


@dataclass(frozen=True)
class Period:
    """The scanned stretch of time, [since, until), in UTC."""

    since: datetime
    until: datetime

    def binds(self) -> dict[str, str]:
        return {"since": stored(self.since), "until": stored(self.until)}


def stored(moment: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite (UTC, no zone), for SQL text."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def read_moment(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def growing_conversations(
    engine: Engine, period: Period, min_turns: int, factor: float
) -> Iterator[UsageRow]:
    """Records of the conversations with at least `min_turns` priced turns whose
    largest prompt is `factor` times their smallest, by conversation and time."""
    sql = f"""
        WITH runs AS (
            SELECT workspace_id, conversation_hash FROM {TABLE}
            WHERE {IN_PERIOD.format(t="")} AND prompt_tokens > 0
                AND conversation_hash IS NOT NULL
            GROUP BY workspace_id, conversation_hash
            HAVING COUNT(*) >= :min_turns
                AND MAX(prompt_tokens) >= :factor * MIN(prompt_tokens)
        )
        SELECT {ROW.format(t="u.")} FROM {TABLE} u
        WHERE {IN_PERIOD.format(t="u.")} AND u.prompt_tokens > 0
            AND (+u.workspace_id, u.conversation_hash) IN (SELECT * FROM runs)
        ORDER BY u.workspace_id, u.conversation_hash, u.created_at, u.id
    """
    binds = {**period.binds(), "min_turns": min_turns, "factor": factor}
    yield from _rows(engine, sql, binds)


def prompt_sizes(engine: Engine, period: Period) -> Iterator[Any]:
    """(workspace, subject, prompt tokens) of every priced record, in time order."""
    sql = f"""
        SELECT workspace_id, {SUBJECT.format(t="")}, prompt_tokens FROM {TABLE}
        WHERE {IN_PERIOD.format(t="")} AND prompt_tokens > 0
        ORDER BY created_at, id
    """
    with engine.connect() as connection:
        yield from connection.execute(text(sql), period.binds())


def subject_records(
    engine: Engine, period: Period, subjects: list[tuple[str, str]]
) -> Iterator[UsageRow]:
    """The priced records of a few (workspace, subject) pairs, by subject and time."""
    if not subjects:
        return
    pairs = ", ".join(f"(:w{n}, :s{n})" for n in range(len(subjects)))
    sql = f"""
        SELECT {ROW.format(t="")} FROM {TABLE}
        WHERE {IN_PERIOD.format(t="")} AND prompt_tokens > 0
            AND (+workspace_id, {SUBJECT.format(t="")}) IN (VALUES {pairs})
        ORDER BY workspace_id, {SUBJECT.format(t="")}, created_at, id
    """
    binds: dict[str, Any] = period.binds()
    for n, (workspace_id, subject) in enumerate(subjects):
        binds[f"w{n}"], binds[f"s{n}"] = workspace_id, subject
    yield from _rows(engine, sql, binds)


def loops(
    engine: Engine, period: Period, per_minute: int, spread: float
) -> Iterator[UsageRow]:
    """Records of the minutes in which one conversation (or, outside chat, one
    identical request) was sent `per_minute` times or more at a near-constant
    size, ordered by that conversation and time."""
    key = "COALESCE({t}conversation_hash, {t}request_hash)"
    sql = f"""
        WITH hot AS (
            SELECT workspace_id, {key.format(t="")} AS loop_key,
                substr(created_at, 1, 16) AS minute
            FROM {TABLE}
            WHERE {IN_PERIOD.format(t="")} AND {key.format(t="")} IS NOT NULL
            GROUP BY workspace_id, loop_key, minute
            HAVING COUNT(*) >= :per_minute AND COALESCE(
                MAX(prompt_tokens) <= (1 + :spread) * MIN(NULLIF(prompt_tokens, 0)),
                1)
        )
        SELECT {ROW.format(t="u.")} FROM {TABLE} u
        WHERE {IN_PERIOD.format(t="u.")}
            AND (+u.workspace_id, {key.format(t="u.")}, substr(u.created_at, 1, 16))
                IN (SELECT workspace_id, loop_key, minute FROM hot)
        ORDER BY u.workspace_id, {key.format(t="u.")}, u.created_at, u.id
    """
    binds = {**period.binds(), "per_minute": per_minute, "spread": spread}
    yield from _rows(engine, sql, binds)


def repeats(engine: Engine, period: Period) -> Iterator[UsageRow]:
    """Records whose exact request body was sent more than once in the period,
    ordered by that body and time."""
    sql = f"""
        WITH twice AS (
            SELECT workspace_id, request_hash FROM {TABLE}
            WHERE {IN_PERIOD.format(t="")} AND request_hash IS NOT NULL
            GROUP BY workspace_id, request_hash HAVING COUNT(*) >= 2
        )
        SELECT {ROW.format(t="u.")} FROM {TABLE} u
        WHERE {IN_PERIOD.format(t="u.")}
            AND (+u.workspace_id, u.request_hash) IN (SELECT * FROM twice)
        ORDER BY u.workspace_id, u.request_hash, u.created_at, u.id
    """
    yield from _rows(engine, sql, period.binds())


def upstream_failures(
    engine: Engine, period: Period, per_minute: int, share: float
) -> Iterator[UsageRow]:
    """Failed records of the minutes in which one model's upstream failed at
    least `per_minute` times and on at least `share` of its requests."""
    model = "COALESCE({t}sent_model, {t}original_model, '')"
    sql = f"""
        WITH bursts AS (
            SELECT workspace_id, {model.format(t="")} AS model,
                substr(created_at, 1, 16) AS minute
            FROM {TABLE} WHERE {IN_PERIOD.format(t="")}
            GROUP BY workspace_id, model, minute
            HAVING SUM({UPSTREAM_FAILED.format(t="")}) >= :per_minute
                AND AVG({UPSTREAM_FAILED.format(t="")}) >= :share
        )
        SELECT {ROW.format(t="u.")} FROM {TABLE} u
        WHERE {IN_PERIOD.format(t="u.")} AND {UPSTREAM_FAILED.format(t="u.")} = 1
            AND (+u.workspace_id, {model.format(t="u.")}, substr(u.created_at, 1, 16))
                IN (SELECT * FROM bursts)
        ORDER BY u.workspace_id, {model.format(t="u.")}, u.created_at, u.id
    """
    binds = {**period.binds(), "per_minute": per_minute, "share": share}
    yield from _rows(engine, sql, binds)


@dataclass(frozen=True)
class LargePromptQuery:
    """Which records count as large: see `large_prompts`."""

    median_since: datetime
    min_samples: int
    short_answer_tokens: int
    min_prompt_tokens: int
    median_factor: float
    fill_floor_tokens: int


def large_prompts(
    engine: Engine, period: Period, query: LargePromptQuery
) -> Iterator[tuple[UsageRow, int | None]]:
    """Short-answered records whose prompt is `median_factor` times their
    subject's median prompt (over [median_since, until)) or at least
    `fill_floor_tokens`, each with that median (None: too few samples)."""
    sql = f"""
        WITH candidates AS (
            SELECT DISTINCT workspace_id, {SUBJECT.format(t="")} FROM {TABLE}
            WHERE {IN_PERIOD.format(t="")}
                AND completion_tokens <= :short AND prompt_tokens >= :min_prompt
        ),
        base AS (
            SELECT workspace_id, {SUBJECT.format(t="")} AS subject, prompt_tokens
            FROM {TABLE}
            WHERE created_at >= :median_since AND created_at < :until
                AND workspace_id IS NOT NULL AND prompt_tokens > 0
                AND (+workspace_id, {SUBJECT.format(t="")})
                    IN (SELECT * FROM candidates)
        ),
        ranked AS (
            SELECT workspace_id, subject, prompt_tokens,
                ROW_NUMBER() OVER sizes AS rank, COUNT(*) OVER sizes AS samples
            FROM base
            WINDOW sizes AS (
                PARTITION BY workspace_id, subject ORDER BY prompt_tokens
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            )
        ),
        medians AS MATERIALIZED (
            SELECT workspace_id, subject, prompt_tokens AS median FROM ranked
            WHERE rank = (samples + 1) / 2 AND samples >= :min_samples
        )
        SELECT {ROW.format(t="u.")}, m.median FROM {TABLE} u
        LEFT JOIN medians m ON m.workspace_id = u.workspace_id
            AND m.subject = {SUBJECT.format(t="u.")}
        WHERE {IN_PERIOD.format(t="u.")}
            AND u.completion_tokens <= :short AND u.prompt_tokens >= :min_prompt
            AND (u.prompt_tokens >= :fill_floor
                OR u.prompt_tokens >= :factor * m.median)
        ORDER BY u.workspace_id, {SUBJECT.format(t="u.")}, u.created_at, u.id
    """
    binds = {
        **period.binds(),
        "median_since": stored(query.median_since),
        "min_samples": query.min_samples,
        "short": query.short_answer_tokens,
        "min_prompt": query.min_prompt_tokens,
        "factor": query.median_factor,
        "fill_floor": query.fill_floor_tokens,
    }
    with engine.connect() as connection:
        for raw in connection.execute(text(sql), binds):
            yield _row(raw[:-1]), raw[-1]


def _rows(engine: Engine, sql: str, binds: dict[str, Any]) -> Iterator[UsageRow]:
    with engine.connect() as connection:
        for raw in connection.execute(text(sql), binds):
            yield _row(raw)


def _row(raw: Any) -> UsageRow:
    values = list(raw)
    values[1] = read_moment(values[1])
    values[9] = bool(values[9])
    values[14] = Decimal(values[14])
    return UsageRow(*values)
