"""The guards asked before the embedding: can any lexically close entry be served?

A semantic hit needs an entry that passes the lexical gate and that every
guard accepts, and the guards read only the two prompts. When the gate leaves
a few entries and the guards refuse each of them (a near miss: the same words
with another number, name or negation), no hit is possible and the embedding
is skipped. Reading a prompt's features takes ~0.1 ms, so the features of new
entries are read when they are stored and kept for the most recent prompts; a
lookup reads at most a few more itself, and leaves the rest to the embedding.
Each remembered prompt also keeps the facts the guards require to be equal, as
one value: a candidate whose value differs from the query's is refused in a
tuple compare (~0.1 µs), and only the others are put to every rule (~2 µs).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from appliance.semantic.features import Features, features
from appliance.semantic.guards import compare, equal_facts

MAX_CHECKED = 4096
MAX_READ = 8
MEMO_TEXTS = 20_000


class Read(NamedTuple):
    """One prompt's features, and the facts of them that must be equal."""

    features: Features
    equal: tuple[object, ...]


class GuardMemo:
    def __init__(self, memo_texts: int = MEMO_TEXTS) -> None:
        self._memo: OrderedDict[str, Read] = OrderedDict()
        self._size = memo_texts

    def any_accepts(self, query: str, stored: list[str]) -> bool:
        """False only when the guards refuse `query` against every one of
        `stored`; True when one is accepted or there are too many to check."""
        if len(stored) > MAX_CHECKED:
            return True
        asked = self.read(query)
        unread = MAX_READ
        for text in stored:
            found = self._memo.get(text)
            if found is None:
                if unread == 0:
                    return True
                unread -= 1
                found = self.read(text)
            if (
                found.equal == asked.equal
                and compare(asked.features, found.features).ok
            ):
                return True
        return False

    def features(self, text: str) -> Features:
        return self.read(text).features

    def read(self, text: str) -> Read:
        found = self._memo.get(text)
        if found is not None:
            self._memo.move_to_end(text)
            return found
        read = features(text)
        found = self._memo[text] = Read(read, equal_facts(read))
        if len(self._memo) > self._size:
            self._memo.popitem(last=False)
        return found
