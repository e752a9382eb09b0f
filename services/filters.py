"""The view filters every page shares, as one hashable value (cache key and URL state)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

MERGER_DAY = date(2025, 7, 1)  # provinces merged 63 → 34 (25 northern → 15)


class Boundaries(StrEnum):
    OF_THE_DAY = "of_the_day"  # the provinces that existed on the "as of" date
    BEFORE_MERGER = "before_merger"  # the 25 northern provinces of 2024
    AFTER_MERGER = "after_merger"  # the 15 northern provinces since 1 July 2025


@dataclass(frozen=True)
class Filters:
    as_of: date = field(default_factory=date.today)
    province: str | None = None  # official code in the chosen boundaries
    center: str | None = None  # center code
    field: str | None = None  # measurement field code
    instrument_type: str | None = None
    service: str | None = None
    boundaries: Boundaries = Boundaries.OF_THE_DAY
    due_window_days: int = 30

    def whole_network(self) -> Filters:
        """The same day, due window and boundaries over the whole network: what a standard supports,
        or a center could serve, does not depend on the province or field a page is looking at."""
        return Filters(as_of=self.as_of, boundaries=self.boundaries, due_window_days=self.due_window_days)

    def uses_merged_provinces(self) -> bool:
        if self.boundaries == Boundaries.OF_THE_DAY:
            return self.as_of >= MERGER_DAY
        return self.boundaries == Boundaries.AFTER_MERGER
