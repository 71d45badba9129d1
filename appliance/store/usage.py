"""Usage records and quota counters: batched inserts and the totals read back."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import select

from appliance.store.db import session
from appliance.store.models import QuotaCounter, UsageRecord

TAG_COLUMNS = {"feature": "feature_tag", "team": "team_tag", "user": "user_tag"}


def write_batch(
    engine: Engine,
    records: list[UsageRecord] | list[dict[str, Any]],
    counts: dict[tuple[str, str], int],
) -> None:
    """Insert records (rows or column dicts) and add to quota counters at once."""
    rows = RecordRows(engine)
    with engine.begin() as connection:
        write_rows(
            connection, rows, [rows.row(_columns(record)) for record in records], counts
        )


def write_rows(
    connection: Connection,
    rows: RecordRows,
    params: list[tuple[Any, ...]],
    counts: dict[tuple[str, str], int],
) -> None:
    """Insert records already converted by `rows`, and add to quota counters,
    in the caller's transaction."""
    if params:
        connection.exec_driver_sql(rows.sql, params)
    for (workspace_id, period), count in counts.items():
        statement = insert(QuotaCounter).values(
            workspace_id=workspace_id, period=period, count=count
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["workspace_id", "period"],
                set_={"count": QuotaCounter.count + count},
            )
        )


class RecordRows:
    """Usage records as the tuples of one executemany, each value converted by
    its column's own SQLAlchemy type: what a Core insert stores, at half its
    CPU. The writer converts each record as it is queued, so that its thread
    holds the GIL only around the SQLite calls, not for a whole batch."""

    def __init__(self, engine: Engine) -> None:
        table: Table = UsageRecord.__table__  # type: ignore[attr-defined]
        dialect = engine.dialect
        names = [column.name for column in table.columns if column.name != "id"]
        defaults = {
            name: field.get_default(call_default_factory=True)
            for name, field in UsageRecord.model_fields.items()
        }
        processors = [
            _quicker(table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        ]
        self._defaults = [(name, defaults.get(name)) for name in names]
        self._get = operator.itemgetter(*names)
        # Only a few columns (dates, decimals, booleans, JSON) need converting.
        self._converters = [
            (index, to_db)
            for index, to_db in enumerate(processors)
            if to_db is not None
        ]
        self.sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )

    def row(self, record: dict[str, Any]) -> tuple[Any, ...]:
        try:
            values = list(self._get(record))
        except KeyError:  # a record of some columns: the rest take their defaults
            values = [record.get(name, default) for name, default in self._defaults]
        for index, to_db in self._converters:
            values[index] = to_db(values[index])
        return tuple(values)


Converter = Callable[[Any], Any]


def _utc_text(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _is_utc(value: Any) -> bool:
    return value.__class__ is datetime and value.tzinfo is UTC


def _exactly(kind: type) -> Callable[[Any], bool]:
    return lambda value: value.__class__ is kind


# Plain-Python twins of SQLAlchemy's converters: which values each serves (the
# one class Optera writes to that kind of column), and what it is checked on.
TWINS: tuple[tuple[Callable[[Any], bool], Converter, tuple[Any, ...]], ...] = (
    (
        _is_utc,
        _utc_text,
        (
            datetime(2026, 12, 3, 20, 1, 2, 345678, tzinfo=UTC),
            datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
    ),
    (
        _exactly(dict),
        json.dumps,
        ({"routing": {"tokens": 12, "models": ["a", "é"]}}, {}),
    ),
    (_exactly(Decimal), str, (Decimal("0.00475"), Decimal("1E-7"), Decimal(0))),
    (_exactly(bool), int, (True, False)),
)


def _quicker(to_db: Converter | None) -> Converter | None:
    """A column's converter with a plain-Python twin in front, where one
    stores the same value: SQLAlchemy's own were most of a record's
    conversion. A twin is taken only if it agrees with SQLAlchemy on every
    probe, and serves only its own values (a UTC datetime for dates); any
    other value still goes through SQLAlchemy, which converts or refuses it."""
    if to_db is None:
        return None
    for serves, twin, probes in TWINS:
        try:
            if all(_same(twin(probe), to_db(probe)) for probe in probes):
                return _fronted(serves, twin, to_db)
        except (TypeError, ValueError, AttributeError, ArithmeticError):
            continue
    return to_db


def _same(ours: Any, theirs: Any) -> bool:
    return type(ours) is type(theirs) and ours == theirs


def _fronted(
    serves: Callable[[Any], bool], twin: Converter, to_db: Converter
) -> Converter:
    def convert(value: Any) -> Any:
        return twin(value) if serves(value) else to_db(value)

    return convert


def _columns(record: UsageRecord | dict[str, Any]) -> dict[str, Any]:
    if isinstance(record, dict):
        return record
    columns = {name: getattr(record, name) for name in UsageRecord.model_fields}
    if columns.get("id") is None:
        columns.pop("id", None)
    return columns


def quota_count(engine: Engine, workspace_id: str, period: str) -> int:
    with session(engine) as db:
        row = db.get(QuotaCounter, (workspace_id, period))
    return row.count if row is not None else 0


def records(
    engine: Engine,
    workspace_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[UsageRecord]:
    query = select(UsageRecord)
    if workspace_id is not None:
        query = query.where(UsageRecord.workspace_id == workspace_id)
    if since is not None:
        query = query.where(UsageRecord.created_at >= since)
    if until is not None:
        query = query.where(UsageRecord.created_at < until)
    query = query.order_by(UsageRecord.id)  # type: ignore[arg-type]
    if limit is not None:
        query = query.limit(limit)
    with session(engine) as db:
        return list(db.exec(query).all())


def totals_by(
    engine: Engine,
    dimension: str,
    workspace_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Requests, tokens, cost and savings per tag value (exact Decimal sums)."""
    column = TAG_COLUMNS[dimension]
    groups: dict[str | None, dict[str, Any]] = {}
    for record in _iter_records(engine, workspace_id, since, until):
        tag = getattr(record, column)
        row = groups.setdefault(tag, _empty_total(dimension, tag))
        _accumulate(row, record)
    ordered = sorted(
        groups.values(), key=lambda r: (r[dimension] is None, r[dimension] or "")
    )
    return [_render(row) for row in ordered]


def _iter_records(
    engine: Engine,
    workspace_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Iterable[UsageRecord]:
    return records(engine, workspace_id, since, until)


def _empty_total(dimension: str, tag: str | None) -> dict[str, Any]:
    return {
        dimension: tag,
        "requests": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "tokens_saved": 0,
        "cost_usd": Decimal(0),
        "raw_cost_usd": Decimal(0),
        "cost_saved_usd": Decimal(0),
        "cache_hits": 0,
    }


def _accumulate(row: dict[str, Any], record: UsageRecord) -> None:
    row["requests"] += 1
    row["prompt_tokens"] += record.prompt_tokens
    row["completion_tokens"] += record.completion_tokens
    row["tokens_saved"] += record.tokens_saved
    row["cost_usd"] += record.cost_usd
    row["raw_cost_usd"] += record.raw_cost_usd
    row["cost_saved_usd"] += record.cost_saved_usd
    row["cache_hits"] += record.cache in ("exact", "semantic")


def _render(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


def count(engine: Engine) -> int:
    with session(engine) as db:
        return int(db.exec(select(func.count()).select_from(UsageRecord)).one())
