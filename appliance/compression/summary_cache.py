"""Where conversation summaries are kept, keyed by the turns they replace."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol


class SummaryCache(Protocol):
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, summary: str) -> None: ...


class LRUSummaryCache:
    """In-memory summaries; the least recently used go first when full."""

    def __init__(self, max_entries: int = 1024) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        summary = self._entries.get(key)
        if summary is not None:
            self._entries.move_to_end(key)
        return summary

    def put(self, key: str, summary: str) -> None:
        self._entries[key] = summary
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
