"""The embedded SQLite database: engine, schema creation, sessions."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from appliance.store import findings, models  # noqa: F401  (registers the tables)

DATABASE_FILE = "optera.db"


def open_engine(data_dir: Path) -> Engine:
    """Open (and create) the database file under `data_dir`, in WAL mode."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / DATABASE_FILE
    path.touch(mode=0o600, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 30},
    )
    event.listen(engine, "connect", _pragmas)
    SQLModel.metadata.create_all(engine)
    return engine


def _pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
