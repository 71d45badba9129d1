"""What the vector index holds and returns: rows of the table, and candidates."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Candidate:
    """A stored entry near the query: its exact-cache key, its text, how near."""

    entry_key: str
    text: str
    similarity: float


@dataclass(frozen=True)
class Row:
    """One row of the table, as written and as mirrored in memory (the content
    words of its text are kept in memory only)."""

    id: str
    scope: str
    workspace: str
    vector: np.ndarray
    entry_key: str
    created_at: float
    expires_at: float
    text: str
    words: frozenset[str] = field(default_factory=frozenset)
