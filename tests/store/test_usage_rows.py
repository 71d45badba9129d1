"""Usage records converted for the batched insert store what SQLAlchemy would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Table

from appliance.store.db import open_engine
from appliance.store.models import UsageRecord
from appliance.store.usage import RecordRows


@pytest.fixture
def engine(tmp_path):  # type: ignore[no-untyped-def]
    return open_engine(tmp_path)


def sqlalchemy_row(engine, record: dict) -> tuple:  # type: ignore[no-untyped-def]
    """The same record through SQLAlchemy's own converters, column by column."""
    table: Table = UsageRecord.__table__  # type: ignore[attr-defined]
    dialect = engine.dialect
    values = []
    for column in table.columns:
        if column.name == "id":
            continue
        to_db = column.type.dialect_impl(dialect).bind_processor(dialect)
        value = record[column.name]
        values.append(to_db(value) if to_db else value)
    return tuple(values)


def a_record(**changes) -> dict:  # type: ignore[no-untyped-def]
    record = {
        name: field.get_default(call_default_factory=True)
        for name, field in UsageRecord.model_fields.items()
        if name != "id"
    }
    record.update(
        created_at=datetime(2026, 12, 3, 20, 1, 2, 5, tzinfo=UTC),
        workspace_id="ws_1",
        streamed=True,
        aborted=False,
        latency_ms=12.5,
        cost_usd=Decimal("0.00475"),
        raw_cost_usd=Decimal("1E-7"),
        savings={"routing": {"tokens": 12, "usd": "0.5", "models": ["é"]}},
    )
    record.update(changes)
    return record


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"created_at": datetime(2026, 12, 3, 20, 1, 2, tzinfo=UTC)},
        # Another zone is converted to UTC, as SQLAlchemy does.
        {
            "created_at": datetime(
                2026, 12, 3, 22, 0, tzinfo=timezone(timedelta(hours=2))
            )
        },
        {"savings": {}, "cost_usd": Decimal(0), "streamed": False},
    ],
)
def test_each_value_is_stored_as_sqlalchemy_stores_it(engine, changes):
    record = a_record(**changes)
    assert RecordRows(engine).row(record) == sqlalchemy_row(engine, record)


def test_a_naive_time_is_still_refused(engine):
    with pytest.raises(ValueError, match="timezone"):
        RecordRows(engine).row(a_record(created_at=datetime(2026, 12, 3)))


def test_a_record_of_some_columns_takes_the_defaults_for_the_rest(engine):
    record = {"created_at": datetime(2026, 12, 3, tzinfo=UTC), "status": 200}
    row = RecordRows(engine).row(record)
    assert row == sqlalchemy_row(engine, {**a_record(), **_defaults(), **record})


def _defaults() -> dict:
    return {
        name: field.get_default(call_default_factory=True)
        for name, field in UsageRecord.model_fields.items()
        if name != "id"
    }
