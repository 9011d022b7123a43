"""The last good answer per (feature, normalised input): what the ``cached`` fallback serves."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol


class AnswerCache(Protocol):
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, answer: str) -> None: ...


class MemoryAnswerCache:
    """In-process LRU; the embedded default."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        answer = self._data.get(key)
        if answer is not None:
            self._data.move_to_end(key)
        return answer

    def put(self, key: str, answer: str) -> None:
        self._data[key] = answer
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)
