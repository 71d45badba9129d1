"""The vector index: semantic cache entries in one LanceDB table, searched per scope.

Writes are queued and flushed many rows per `table.add`, because every add
makes a new fragment; `optimize` compacts them and brings the scalar index on
`scope` up to date. Which scopes hold rows is kept in memory, so a lookup in
an empty scope never touches the table, and hot scopes are searched in an
in-memory mirror; a scope too large for the mirror is searched in LanceDB.
The mirror also answers the lexical gate: whether any row of a hot scope shares
enough content words with a prompt for the prompt to be worth embedding.
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
from functools import partial
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.index import BTree

from appliance.semantic.lexical_gate import DEFAULT_WORD_OVERLAP, Vocabulary
from appliance.semantic.mirror import Block, Mirror, unit
from appliance.semantic.rows import Candidate, Row

logger = logging.getLogger(__name__)

TABLE = "semantic_entries"
OLD_VERSIONS_KEPT = timedelta(minutes=10)
DEFAULT_MIRROR_ROWS = 50_000
# A mirrored scope up to this size is searched on the caller's thread (about
# 0.3 ms at 384 dimensions); a larger one costs more than a hop to a thread.
INLINE_ROWS = 10_000
MIRRORED = ("vector", "entry_key", "created_at", "expires_at", "text", "workspace")

__all__ = ["Candidate", "NewEntry", "SemanticIndex"]


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
    """Semantic cache rows in LanceDB, with queued writes, a scope census and
    an in-memory mirror of the hot scopes.

    `_lock` guards the queue, the census and the mirror; `_write_lock`
    serialises table writes; `_content_lock` is held while the table's rows
    change and while a scope is copied into the mirror, so a copy never misses
    or doubles a write (compaction, which changes no rows, does not take it).
    """

    def __init__(
        self,
        table: lancedb.table.Table,
        dim: int,
        clock: Callable[[], float],
        mirror_rows: int = DEFAULT_MIRROR_ROWS,
        word_overlap: float = DEFAULT_WORD_OVERLAP,
    ) -> None:
        self._table = table
        self._dim = dim
        self._clock = clock
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._content_lock = threading.Lock()
        self._pending: list[Row] = []
        self._scopes: Counter[str] = Counter(self._column("scope", "true"))
        self._mirror = Mirror(dim, mirror_rows)
        self._vocabulary = Vocabulary()
        self._word_overlap = word_overlap

    @classmethod
    def open(
        cls,
        path: Path,
        dim: int,
        clock: Callable[[], float] = time.time,
        mirror_rows: int = DEFAULT_MIRROR_ROWS,
        word_overlap: float = DEFAULT_WORD_OVERLAP,
    ) -> SemanticIndex:
        """Open the table under `path`, creating it and its scope index if new."""
        db = lancedb.connect(str(path))
        table = db.create_table(TABLE, schema=entry_schema(dim), exist_ok=True)
        if not any(index.columns == ["scope"] for index in table.list_indices()):
            table.create_index("scope", config=BTree())
        return cls(table, dim, clock, mirror_rows, word_overlap)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    @property
    def mirrored_rows(self) -> int:
        """Rows held in memory across all mirrored scopes."""
        with self._lock:
            return self._mirror.rows

    def count(self) -> int:
        """Rows in the table, expired ones included until purged."""
        return self._table.count_rows()

    def has_scope(self, scope: str) -> bool:
        """Whether any flushed row has this scope; answered from memory."""
        return self._scopes[scope] > 0

    def add(self, entry: NewEntry) -> None:
        """Queue an entry; it becomes searchable at the next `flush`."""
        now = self._clock()
        row = Row(
            id=uuid.uuid4().hex,
            scope=entry.scope,
            workspace=entry.workspace,
            vector=np.asarray(entry.vector, dtype=np.float32),
            entry_key=entry.entry_key,
            created_at=now,
            expires_at=now + entry.ttl_seconds,
            text=entry.text,
            words=self._vocabulary.words(entry.text),
        )
        with self._lock:
            self._pending.append(row)

    def flush(self) -> int:
        """Write every queued entry in one table add; returns how many."""
        with self._lock:
            rows, self._pending = self._pending, []
        if not rows:
            return 0
        with self._write_lock, self._content_lock:
            self._table.add(self._as_arrow(rows))
            with self._lock:
                self._scopes.update(row.scope for row in rows)
                self._mirror.append(rows)
        return len(rows)

    def may_hit(self, scope: str, text: str) -> bool:
        """False when the scope is in memory and none of its live rows shares
        enough content words with `text` to be a semantic hit; True when one
        does, or when the gate cannot tell (gate off, scope not in memory,
        no content words in `text`)."""
        near = self.gate_texts(scope, text)
        return near is None or bool(near)

    def gate_texts(self, scope: str, text: str) -> list[str] | None:
        """The stored prompts of the scope that pass the lexical gate for `text`
        (none: no hit is possible), or None when the gate cannot tell."""
        if self._word_overlap <= 0:
            return None
        words = self._vocabulary.words(text)
        if not words:
            return None
        with self._lock:
            rows = self._mirror.get(scope)
            if rows is None:
                return None
            return rows.gate_texts(words, self._word_overlap, self._clock())

    def search_in_memory(
        self, scope: str, vector: np.ndarray, k: int = 5
    ) -> list[Candidate] | None:
        """The search answered from the mirror when the scope is there and small
        enough to search on the caller's thread; None otherwise."""
        with self._lock:
            rows = self._mirror.get(scope)
            if rows is None or rows.size > INLINE_ROWS:
                return None
            return rows.search(unit(vector), k, self._clock())

    def search(self, scope: str, vector: np.ndarray, k: int = 5) -> list[Candidate]:
        """The k nearest live entries of one scope, by cosine similarity: from
        the mirror (copying the scope there first if it fits), else LanceDB."""
        if not self.has_scope(scope):
            return []
        if self._mirrored(scope):
            with self._lock:
                rows = self._mirror.get(scope)
                if rows is not None:
                    return rows.search(unit(vector), k, self._clock())
        return self.search_table(scope, vector, k)

    def search_table(
        self, scope: str, vector: np.ndarray, k: int = 5
    ) -> list[Candidate]:
        """The k nearest live entries of one scope, asked of LanceDB."""
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
        now = self._clock()
        return self._delete(
            f"expires_at <= {now!r}", lambda mirror: mirror.forget_expired(now)
        )

    def delete_scope(self, scope: str) -> int:
        with self._lock:
            self._pending = [row for row in self._pending if row.scope != scope]
        return self._delete(
            f"scope = {quoted(scope)}", lambda mirror: mirror.drop(scope)
        )

    def delete_workspace(self, workspace: str) -> int:
        with self._lock:
            self._pending = [row for row in self._pending if row.workspace != workspace]
        return self._delete(
            f"workspace = {quoted(workspace)}",
            lambda mirror: mirror.forget_workspace(workspace),
        )

    def delete_entry_keys(self, entry_keys: list[str]) -> int:
        """Delete rows pointing at exact-cache entries that are gone."""
        if not entry_keys:
            return 0
        listed = ", ".join(quoted(key) for key in entry_keys)
        doomed = set(entry_keys)
        return self._delete(
            f"entry_key IN ({listed})", lambda mirror: mirror.forget_keys(doomed)
        )

    def cap_scopes(self, max_rows: int) -> int:
        """Delete the oldest rows of any scope holding more than `max_rows`."""
        with self._lock:
            crowded = [scope for scope, n in self._scopes.items() if n > max_rows]
        removed = 0
        for scope in crowded:
            born = sorted(self._column("created_at", f"scope = {quoted(scope)}"))
            if len(born) > max_rows:
                cutoff = born[len(born) - max_rows]
                removed += self._delete(
                    f"scope = {quoted(scope)} AND created_at < {cutoff!r}",
                    partial(Mirror.forget_older, scope=scope, cutoff=cutoff),
                )
        return removed

    def optimize(self) -> None:
        """Compact fragments, update the scope index, drop old table versions."""
        with self._write_lock:
            self._table.optimize(cleanup_older_than=OLD_VERSIONS_KEPT)

    def _mirrored(self, scope: str) -> bool:
        """Whether the scope is in the mirror, copying it there if it fits."""
        with self._lock:
            if scope in self._mirror:
                return True
            if not self._mirror.fits(self._scopes[scope]):
                return False
        with self._content_lock:
            with self._lock:
                if scope in self._mirror:
                    return True
            rows = self._rows_of(scope)
            with self._lock:
                self._mirror.install(scope, rows)
                return scope in self._mirror

    def _delete(self, where: str, in_memory: Callable[[Mirror], None]) -> int:
        with self._write_lock, self._content_lock:
            doomed = Counter(self._column("scope", where))
            if not doomed:
                return 0
            self._table.delete(where)
            with self._lock:
                self._scopes.subtract(doomed)
                for scope in doomed:
                    if self._scopes[scope] <= 0:
                        del self._scopes[scope]
                in_memory(self._mirror)
        return doomed.total()

    def _column(self, name: str, where: str) -> list[Any]:
        found = self._table.search().where(where).select([name]).limit(None).to_arrow()
        return found[name].to_pylist()

    def _rows_of(self, scope: str) -> Block:
        found = (
            self._table.search()
            .where(f"scope = {quoted(scope)}")
            .select(list(MIRRORED))
            .limit(None)
            .to_arrow()
        )
        vectors = found["vector"].combine_chunks().flatten().to_numpy()
        texts = found["text"].to_pylist()
        return Block(
            vectors=vectors.reshape(-1, self._dim),
            created=found["created_at"].to_numpy(),
            expires=found["expires_at"].to_numpy(),
            keys=found["entry_key"].to_pylist(),
            texts=texts,
            workspaces=found["workspace"].to_pylist(),
            words=[self._vocabulary.words(text) for text in texts],
        )

    def _as_arrow(self, rows: list[Row]) -> pa.Table:
        schema = entry_schema(self._dim)
        columns: dict[str, list[Any]] = {
            name: [getattr(row, name) for row in rows]
            for name in schema.names
            if name != "vector"
        }
        flat = np.concatenate([row.vector for row in rows]).astype(np.float32)
        vectors = pa.FixedSizeListArray.from_arrays(pa.array(flat), self._dim)
        return (
            pa.table({**columns, "vector": vectors}).select(schema.names).cast(schema)
        )
