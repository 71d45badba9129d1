"""In-memory copies of hot scopes' rows, searched with one matrix-vector product;
each scope also keeps its rows' content words for the lexical gate.

LanceDB stays the durable store. A scope's rows are copied here on first use
and kept in step with every write and delete; all scopes share one budget of
rows, and the least recently searched scopes are dropped to stay within it.
Not thread-safe: the index that owns it serialises access.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from appliance.semantic.lexical_gate import ScopeWords
from appliance.semantic.rows import Candidate, Row


@dataclass(frozen=True)
class Block:
    """Rows of one scope as columns, the shape they are copied in."""

    vectors: np.ndarray
    created: np.ndarray
    expires: np.ndarray
    keys: list[str]
    texts: list[str]
    workspaces: list[str]
    words: list[frozenset[str]]

    @classmethod
    def of(cls, rows: list[Row]) -> Block:
        return cls(
            vectors=np.stack([row.vector for row in rows]),
            created=np.array([row.created_at for row in rows]),
            expires=np.array([row.expires_at for row in rows]),
            keys=[row.entry_key for row in rows],
            texts=[row.text for row in rows],
            workspaces=[row.workspace for row in rows],
            words=[row.words for row in rows],
        )

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class ScopeRows:
    """One scope's rows: unit vectors in a growing matrix, their columns, and
    their content words for the lexical gate."""

    dim: int
    vectors: np.ndarray = field(init=False)
    expires: np.ndarray = field(init=False)
    created: np.ndarray = field(init=False)
    keys: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    workspaces: list[str] = field(default_factory=list)
    words: ScopeWords = field(default_factory=ScopeWords)

    def __post_init__(self) -> None:
        self.vectors = np.zeros((0, self.dim), dtype=np.float32)
        self.expires = np.zeros(0)
        self.created = np.zeros(0)

    @property
    def size(self) -> int:
        return len(self.keys)

    def append(self, block: Block) -> None:
        """Add rows, growing the arrays by half again when they are full."""
        needed = self.size + len(block)
        if needed > len(self.vectors):
            capacity = max(needed, len(self.vectors) * 3 // 2, 16)
            self.vectors = _grown(self.vectors, capacity)
            self.expires = _grown(self.expires, capacity)
            self.created = _grown(self.created, capacity)
        start = self.size
        self.vectors[start:needed] = unit_rows(block.vectors)
        self.expires[start:needed] = block.expires
        self.created[start:needed] = block.created
        self.keys.extend(block.keys)
        self.texts.extend(block.texts)
        self.workspaces.extend(block.workspaces)
        self.words.extend(block.words)

    def keep(self, kept: np.ndarray) -> int:
        """Keep only the rows where `kept` is true; returns how many went."""
        gone = self.size - int(kept.sum())
        if gone == 0:
            return 0
        self.vectors = self.vectors[: self.size][kept]
        self.expires = self.expires[: self.size][kept]
        self.created = self.created[: self.size][kept]
        self.keys = [key for key, keep in zip(self.keys, kept, strict=True) if keep]
        self.texts = [text for text, keep in zip(self.texts, kept, strict=True) if keep]
        self.workspaces = [
            ws for ws, keep in zip(self.workspaces, kept, strict=True) if keep
        ]
        self.words.keep(kept)
        return gone

    def gate_texts(
        self, words: frozenset[str], overlap: float, now: float
    ) -> list[str]:
        """The prompts of the rows not yet expired that pass the lexical gate."""
        live = self.expires[: self.size] > now
        return [self.texts[i] for i in self.words.matching(words, overlap, live)]

    def search(self, query: np.ndarray, k: int, now: float) -> list[Candidate]:
        """The k most similar rows not yet expired, most similar first."""
        if self.size == 0 or k <= 0:
            return []
        scores = self.vectors[: self.size] @ query
        scores[self.expires[: self.size] <= now] = -np.inf
        if k < self.size:
            top = np.argpartition(-scores, k - 1)[:k]
        else:
            top = np.arange(self.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [
            Candidate(self.keys[i], self.texts[i], float(scores[i]))
            for i in top
            if scores[i] != -np.inf
        ]


class Mirror:
    """Hot scopes' rows in memory, at most `max_rows` of them in all."""

    def __init__(self, dim: int, max_rows: int) -> None:
        self._dim = dim
        self.max_rows = max_rows
        self._scopes: OrderedDict[str, ScopeRows] = OrderedDict()
        self._rows = 0

    @property
    def rows(self) -> int:
        return self._rows

    def fits(self, rows: int) -> bool:
        return 0 < rows <= self.max_rows

    def get(self, scope: str) -> ScopeRows | None:
        """A loaded scope, now marked as the most recently used."""
        found = self._scopes.get(scope)
        if found is not None:
            self._scopes.move_to_end(scope)
        return found

    def __contains__(self, scope: str) -> bool:
        return scope in self._scopes

    def install(self, scope: str, block: Block) -> None:
        """Hold a scope loaded from the table, if it fits in the budget."""
        self.drop(scope)
        if not self.fits(len(block)):
            return
        loaded = ScopeRows(self._dim)
        loaded.append(block)
        self._scopes[scope] = loaded
        self._rows += loaded.size
        self._shed(keep=scope)

    def append(self, rows: Iterable[Row]) -> None:
        """Add newly written rows to the scopes that are loaded."""
        by_scope: dict[str, list[Row]] = {}
        for row in rows:
            if row.scope in self._scopes:
                by_scope.setdefault(row.scope, []).append(row)
        for scope, added in by_scope.items():
            self._scopes[scope].append(Block.of(added))
            self._rows += len(added)
            if not self.fits(self._scopes[scope].size):
                self.drop(scope)
        self._shed()

    def drop(self, scope: str) -> None:
        gone = self._scopes.pop(scope, None)
        if gone is not None:
            self._rows -= gone.size

    def forget_expired(self, now: float) -> None:
        for rows in list(self._scopes.values()):
            self._rows -= rows.keep(rows.expires[: rows.size] > now)

    def forget_workspace(self, workspace: str) -> None:
        for rows in self._scopes.values():
            self._rows -= rows.keep(
                np.array([ws != workspace for ws in rows.workspaces])
            )

    def forget_keys(self, keys: set[str]) -> None:
        for rows in self._scopes.values():
            self._rows -= rows.keep(np.array([key not in keys for key in rows.keys]))

    def forget_older(self, scope: str, cutoff: float) -> None:
        rows = self._scopes.get(scope)
        if rows is not None:
            self._rows -= rows.keep(rows.created[: rows.size] >= cutoff)

    def _shed(self, keep: str | None = None) -> None:
        """Drop the least recently used scopes until the budget holds."""
        while self._rows > self.max_rows:
            oldest = next((s for s in self._scopes if s != keep), None)
            if oldest is None:
                return
            self.drop(oldest)


def unit(vector: np.ndarray) -> np.ndarray:
    """One vector as float32 of unit length."""
    return unit_rows(np.asarray(vector).reshape(1, -1))[0]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Vectors as float32 rows of unit length (zero rows stay zero)."""
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _grown(array: np.ndarray, capacity: int) -> np.ndarray:
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown
