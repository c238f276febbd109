"""Working-time schedules: add working seconds to an instant, measure working time.

Semantics follow Odoo's ``resource.calendar.plan_hours``: working intervals are
walked in order and the result is ``interval_start + remaining`` in the first
interval whose length is ``>= remaining``.  Hence a target landing exactly on
the end of an interval returns that end (17:00, not the next 09:00), and adding
0 returns the first working instant ``>= start``.

Internally, times are kept as exact integer microseconds (prefix sums over the
intervals), so every query is a ``bisect`` (O(log n)).  Odoo accumulates float
hours instead; results agree to the microsecond except for float noise of a few
ULPs, which Odoo may resolve to the other side of an exact interval end.
"""
from bisect import bisect_left, bisect_right
from datetime import timedelta

_US = timedelta(microseconds=1)


def _to_us(seconds):
    """Float seconds -> integer microseconds, rounded like ``timedelta`` does."""
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    return timedelta(seconds=seconds) // _US


class WorkSchedule:
    """Working time as sorted disjoint [start, end) intervals of naive UTC datetimes.

    Time outside the intervals -- including before/after the horizon -- is
    non-working; callers must provide intervals covering the period they query.
    """

    def __init__(self, intervals):
        """Normalise ``(start, end)`` pairs: sort, merge overlapping/touching, drop empty."""
        merged = []
        for start, end in sorted(intervals):
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("WorkSchedule expects naive UTC datetimes")
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1][1] = end
            else:
                merged.append([start, end])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]
        # _cum[i]: working microseconds before interval i; _cum_end[i]: up to its end.
        self._cum, self._cum_end = [], []
        total = 0
        for start, end in merged:
            self._cum.append(total)
            total += (end - start) // _US
            self._cum_end.append(total)

    def __len__(self):
        return len(self._starts)

    def __repr__(self):
        return f"<WorkSchedule {len(self)} intervals, horizon={self.horizon}>"

    @property
    def horizon(self):
        """``(first start, last end)`` covered by the intervals, or None if empty."""
        return (self._starts[0], self._ends[-1]) if self._starts else None

    def _locate(self, dt):
        """Return ``(i, pos)``: index of the first interval ending after ``dt``
        and the working microseconds elapsed from the horizon start to ``dt``."""
        i = bisect_right(self._starts, dt) - 1
        if i < 0:
            return 0, 0
        if dt < self._ends[i]:
            return i, self._cum[i] + (dt - self._starts[i]) // _US
        return i + 1, self._cum_end[i]

    def add(self, start, seconds):
        """Instant when ``seconds`` of working time after ``start`` have elapsed.

        Returns None when that instant lies beyond the horizon (the caller
        should then expand a longer one).
        """
        i, pos = self._locate(start)
        target = pos + _to_us(seconds)
        j = bisect_left(self._cum_end, target, i)
        if j == len(self._cum_end):
            return None
        return self._starts[j] + timedelta(microseconds=target - self._cum[j])

    def elapsed(self, start, end):
        """Working seconds inside ``[start, end)``; 0 if ``end <= start``."""
        if end <= start:
            return 0.0
        return (self._locate(end)[1] - self._locate(start)[1]) / 1e6

    def next_working(self, dt):
        """First working instant ``>= dt``, or None if beyond the horizon."""
        i = bisect_right(self._starts, dt) - 1
        if i >= 0 and dt < self._ends[i]:
            return dt
        return self._starts[i + 1] if i + 1 < len(self._starts) else None

    def is_working(self, dt):
        """Whether ``dt`` lies inside a working interval."""
        i = bisect_right(self._starts, dt) - 1
        return i >= 0 and dt < self._ends[i]


class AlwaysOn:
    """24/7 working time: plain ``timedelta`` arithmetic, no horizon limit."""

    horizon = None

    def __repr__(self):
        return "<AlwaysOn>"

    def add(self, start, seconds):
        """``start + seconds`` (never None)."""
        return start + timedelta(microseconds=_to_us(seconds))

    def elapsed(self, start, end):
        """Seconds in ``[start, end)``; 0 if ``end <= start``."""
        return (end - start).total_seconds() if end > start else 0.0

    def next_working(self, dt):
        """Every instant is working: returns ``dt``."""
        return dt

    def is_working(self, dt):
        """Always True."""
        return True
