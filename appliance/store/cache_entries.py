"""The exact cache's table and its queries: entries that survive a restart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Column, LargeBinary, delete, func, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel


class CacheEntry(SQLModel, table=True):
    __tablename__ = "cache_entry"

    key: str = Field(primary_key=True)
    workspace_id: str = Field(index=True)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    created_at: float = Field(index=True)
    expires_at: float = Field(index=True)


@dataclass(frozen=True)
class Row:
    """One entry as the store hands it in and gets it back."""

    key: str
    workspace_id: str
    body: bytes
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    created_at: float
    expires_at: float


TABLE = CacheEntry.__table__  # type: ignore[attr-defined]
COLUMNS = tuple(Row.__dataclass_fields__)


def ensure_table(engine: Engine) -> None:
    TABLE.create(engine, checkfirst=True)


def upsert(engine: Engine, rows: Iterable[Row]) -> None:
    values = [{name: getattr(row, name) for name in COLUMNS} for row in rows]
    if not values:
        return
    statement = insert(TABLE)
    statement = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={name: statement.excluded[name] for name in COLUMNS if name != "key"},
    )
    with engine.begin() as connection:
        connection.execute(statement, values)


def delete_keys(engine: Engine, keys: Iterable[str]) -> None:
    chosen = list(keys)
    with engine.begin() as connection:
        for start in range(0, len(chosen), 500):
            batch = chosen[start : start + 500]
            connection.execute(delete(TABLE).where(TABLE.c.key.in_(batch)))


def find(engine: Engine, key: str) -> Row | None:
    with engine.connect() as connection:
        found = connection.execute(
            select(*(TABLE.c[name] for name in COLUMNS)).where(TABLE.c.key == key)
        ).first()
    return Row(*found) if found is not None else None


def live_keys(engine: Engine, now: float) -> list[str]:
    """Keys of every entry not yet expired."""
    with engine.connect() as connection:
        found = connection.execute(
            select(TABLE.c.key).where(TABLE.c.expires_at > now)
        ).scalars()
        return list(found)


def purge_expired(engine: Engine, now: float) -> int:
    with engine.begin() as connection:
        result = connection.execute(delete(TABLE).where(TABLE.c.expires_at <= now))
    return result.rowcount or 0


def trim(engine: Engine, max_rows: int) -> int:
    """Delete the oldest entries beyond `max_rows`; returns how many."""
    with engine.begin() as connection:
        total = connection.execute(select(func.count()).select_from(TABLE)).scalar()
        excess = (total or 0) - max_rows
        if excess <= 0:
            return 0
        oldest = (
            select(TABLE.c.key).order_by(TABLE.c.created_at).limit(excess).subquery()
        )
        result = connection.execute(
            delete(TABLE).where(TABLE.c.key.in_(select(oldest.c.key)))
        )
    return result.rowcount or 0


def delete_workspace(engine: Engine, workspace_id: str) -> int:
    with engine.begin() as connection:
        result = connection.execute(
            delete(TABLE).where(TABLE.c.workspace_id == workspace_id)
        )
    return result.rowcount or 0


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(TABLE)).scalar() or 0
