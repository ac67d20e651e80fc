"""A sequence of month rows read on demand, a page at a time (the dashboard's lists)."""

from __future__ import annotations

from collections.abc import Callable, Sequence


class RowList(Sequence):
    """Month rows read on demand: a slice is one query with OFFSET/LIMIT."""

    def __init__(self, fetch: Callable[[int, int | None], list], count: Callable[[], int]):
        self._fetch, self._count, self._len = fetch, count, None

    def __len__(self) -> int:
        if self._len is None:
            self._len = self._count()
        return self._len

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            return self._fetch(start, max(0, stop - start)) if stop > start else []
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._fetch(index, 1)[0]

    def __iter__(self):
        return iter(self._fetch(0, None))
