"""The guards asked before the embedding: can any lexically close entry be served?

A semantic hit needs an entry that passes the lexical gate and that every
guard accepts, and the guards read only the two prompts. When the gate leaves
a few entries and the guards refuse each of them (a near miss: the same words
with another number, name or negation), no hit is possible and the embedding
is skipped. Reading a prompt's features takes ~0.1 ms and comparing two
~2 µs, so the features of new entries are read when they are stored and kept
for the most recent prompts; a lookup reads at most a few more itself, and
leaves the rest to the embedding.
"""

from __future__ import annotations

from collections import OrderedDict

from appliance.semantic.features import Features, features
from appliance.semantic.guards import compare

MAX_CHECKED = 256
MAX_READ = 8
MEMO_TEXTS = 20_000


class GuardMemo:
    def __init__(self, memo_texts: int = MEMO_TEXTS) -> None:
        self._memo: OrderedDict[str, Features] = OrderedDict()
        self._size = memo_texts

    def any_accepts(self, query: str, stored: list[str]) -> bool:
        """False only when the guards refuse `query` against every one of
        `stored`; True when one is accepted or there are too many to check."""
        if len(stored) > MAX_CHECKED:
            return True
        asked = self.features(query)
        unread = MAX_READ
        for text in stored:
            found = self._memo.get(text)
            if found is None:
                if unread == 0:
                    return True
                unread -= 1
                found = self.features(text)
            if compare(asked, found).ok:
                return True
        return False

    def features(self, text: str) -> Features:
        found = self._memo.get(text)
        if found is not None:
            self._memo.move_to_end(text)
            return found
        found = self._memo[text] = features(text)
        if len(self._memo) > self._size:
            self._memo.popitem(last=False)
        return found
