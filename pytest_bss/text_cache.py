"""A bounded cache of the results of pure functions of texts (bodies, JSON documents).

The scrubber and the audit ask the same questions about the same body several times
(:mod:`pytest_bss.decoding`, :mod:`pytest_bss.jsondoc`): each answer is kept for the most
recent texts, within a budget of characters, so a body is parsed and walked once and a
cache of bodies stays small however big a cassette is.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Final

__all__ = ["CACHE_BUDGET", "TextCache"]


class TextCache:
    """The results of a pure function of a text for the most recent texts, within a budget
    of characters (so a cache of bodies stays small however big a cassette is)."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._size = 0
        self._items: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, weight: int, compute: Callable[[], Any]) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found[1]
        value = compute()
        weight += 64  # what a small entry costs too
        with self._lock:
            if key not in self._items:
                # A text over the budget is kept alone, as the most recent: the questions
                # about one large body come one after another (a 3.4 MB page was walked
                # again for each of them), and it is alive while they are asked anyway.
                self._items[key] = (weight, value)
                self._size += weight
                while self._size > self._budget and len(self._items) > 1:
                    _, (old, _) = self._items.popitem(last=False)
                    self._size -= old
        return value


#: Characters of texts each cache keeps results for.
CACHE_BUDGET: Final = 1_000_000
