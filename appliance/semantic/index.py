"""The vector index: semantic cache entries in one LanceDB table, searched per scope.

Writes are queued and flushed many rows per `table.add`, because every add
makes a new fragment; `optimize` compacts them and brings the scalar index on
`scope` up to date. Which scopes hold rows is kept in memory, so a lookup in
an empty scope never touches the table.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.index import BTree

logger = logging.getLogger(__name__)

TABLE = "semantic_entries"
OLD_VERSIONS_KEPT = timedelta(minutes=10)


@dataclass(frozen=True)
class Candidate:
    """A stored entry near the query: its exact-cache key, its text, how near."""

    entry_key: str
    text: str
    similarity: float


@dataclass(frozen=True)
class NewEntry:
    """One answer to remember: where it may be served, and what was asked."""

    scope: str
    workspace: str
    vector: np.ndarray
    entry_key: str
    text: str
    ttl_seconds: float


def entry_schema(dim: int) -> pa.Schema:
    return pa.schema(
        [
            ("id", pa.string()),
            ("scope", pa.string()),
            ("workspace", pa.string()),
            ("vector", pa.list_(pa.float32(), dim)),
            ("entry_key", pa.string()),
            ("created_at", pa.float64()),
            ("expires_at", pa.float64()),
            ("text", pa.string()),
        ]
    )


def quoted(value: str) -> str:
    """A string literal for a LanceDB filter."""
    return "'" + value.replace("'", "''") + "'"


class SemanticIndex:
    """Semantic cache rows in LanceDB, with queued writes and a scope census."""

    def __init__(
        self, table: lancedb.table.Table, dim: int, clock: Callable[[], float]
    ) -> None:
        self._table = table
        self._dim = dim
        self._clock = clock
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending: list[dict[str, object]] = []
        self._scopes: Counter[str] = Counter(self._column("scope", "true"))

    @classmethod
    def open(
        cls, path: Path, dim: int, clock: Callable[[], float] = time.time
    ) -> SemanticIndex:
        """Open the table under `path`, creating it and its scope index if new."""
        db = lancedb.connect(str(path))
        table = db.create_table(TABLE, schema=entry_schema(dim), exist_ok=True)
        if not any(index.columns == ["scope"] for index in table.list_indices()):
            table.create_index("scope", config=BTree())
        return cls(table, dim, clock)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def count(self) -> int:
        """Rows in the table, expired ones included until purged."""
        return self._table.count_rows()

    def has_scope(self, scope: str) -> bool:
        """Whether any flushed row has this scope; answered from memory."""
        return self._scopes[scope] > 0

    def add(self, entry: NewEntry) -> None:
        """Queue an entry; it becomes searchable at the next `flush`."""
        now = self._clock()
        row = {
            "id": uuid.uuid4().hex,
            "scope": entry.scope,
            "workspace": entry.workspace,
            "vector": np.asarray(entry.vector, dtype=np.float32),
            "entry_key": entry.entry_key,
            "created_at": now,
            "expires_at": now + entry.ttl_seconds,
            "text": entry.text,
        }
        with self._lock:
            self._pending.append(row)

    def flush(self) -> int:
        """Write every queued entry in one table add; returns how many."""
        with self._lock:
            rows, self._pending = self._pending, []
        if not rows:
            return 0
        with self._write_lock:
            self._table.add(self._as_arrow(rows))
            with self._lock:
                self._scopes.update(str(row["scope"]) for row in rows)
        return len(rows)

    def search(self, scope: str, vector: np.ndarray, k: int = 5) -> list[Candidate]:
        """The k nearest live entries of one scope, by cosine similarity."""
        if not self.has_scope(scope):
            return []
        live = f"scope = {quoted(scope)} AND expires_at > {self._clock()!r}"
        found = (
            self._table.search(np.asarray(vector, dtype=np.float32))
            .distance_type("cosine")  # type: ignore[attr-defined]
            .where(live, prefilter=True)
            .select(["entry_key", "text", "_distance"])
            .limit(k)
            .to_arrow()
        )
        return [
            Candidate(key, text, 1.0 - float(distance))
            for key, text, distance in zip(
                found["entry_key"].to_pylist(),
                found["text"].to_pylist(),
                found["_distance"].to_pylist(),
                strict=True,
            )
        ]

    def purge_expired(self) -> int:
        """Delete rows whose TTL has passed; returns how many."""
        return self._delete(f"expires_at <= {self._clock()!r}")

    def delete_scope(self, scope: str) -> int:
        with self._lock:
            self._pending = [row for row in self._pending if row["scope"] != scope]
        return self._delete(f"scope = {quoted(scope)}")

    def delete_workspace(self, workspace: str) -> int:
        with self._lock:
            self._pending = [
                row for row in self._pending if row["workspace"] != workspace
            ]
        return self._delete(f"workspace = {quoted(workspace)}")

    def delete_entry_keys(self, entry_keys: list[str]) -> int:
        """Delete rows pointing at exact-cache entries that are gone."""
        if not entry_keys:
            return 0
        listed = ", ".join(quoted(key) for key in entry_keys)
        return self._delete(f"entry_key IN ({listed})")

    def cap_scopes(self, max_rows: int) -> int:
        """Delete the oldest rows of any scope holding more than `max_rows`."""
        with self._lock:
            crowded = [scope for scope, n in self._scopes.items() if n > max_rows]
        removed = 0
        for scope in crowded:
            born = sorted(self._column("created_at", f"scope = {quoted(scope)}"))
            if len(born) > max_rows:
                cutoff = born[len(born) - max_rows]
                where = f"scope = {quoted(scope)} AND created_at < {cutoff!r}"
                removed += self._delete(where)
        return removed

    def optimize(self) -> None:
        """Compact fragments, update the scope index, drop old table versions."""
        with self._write_lock:
            self._table.optimize(cleanup_older_than=OLD_VERSIONS_KEPT)

    def _delete(self, where: str) -> int:
        with self._write_lock:
            doomed = Counter(self._column("scope", where))
            if not doomed:
                return 0
            self._table.delete(where)
            with self._lock:
                self._scopes.subtract(doomed)
                for scope in doomed:
                    if self._scopes[scope] <= 0:
                        del self._scopes[scope]
        return doomed.total()

    def _column(self, name: str, where: str) -> list[Any]:
        found = self._table.search().where(where).select([name]).limit(None).to_arrow()
        return found[name].to_pylist()

    def _as_arrow(self, rows: list[dict[str, object]]) -> pa.Table:
        schema = entry_schema(self._dim)
        columns: dict[str, list[Any]] = {
            name: [row[name] for row in rows] for name in schema.names
        }
        flat = np.concatenate(columns.pop("vector")).astype(np.float32)
        vectors = pa.FixedSizeListArray.from_arrays(pa.array(flat), self._dim)
        return (
            pa.table({**columns, "vector": vectors}).select(schema.names).cast(schema)
        )
