"""SLA clock with pauses: hand-checked examples and identities."""
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import (
    AlwaysOn,
    WorkSchedule,
    consumed,
    deadline,
    due_at_fraction,
    due_at_offset,
)

H = 3600.0
MONDAY = date(2025, 1, 6)
TUESDAY = MONDAY + timedelta(days=1)


def paused_seconds(schedule, pauses, until):
    """Working seconds inside the ``(pause_start, pause_end)`` pairs; an open pause
    (end None) counts up to ``until``: what the SLA line accumulates pause by pause."""
    return sum(schedule.elapsed(start, until if end is None else end) for start, end in pauses)


def at(day, hour, minute=0):
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=minute)


@pytest.fixture(scope="module")
def office(weekly):
    """Mon-Fri 09:00-17:00 over four weeks from Monday 6 January 2025."""
    return WorkSchedule(weekly(MONDAY, 28))


def test_paused_seconds(office):
    closed = (at(MONDAY, 10), at(MONDAY, 12))
    open_ = (at(MONDAY, 15), None)
    assert paused_seconds(office, [], at(TUESDAY, 10)) == 0
    assert paused_seconds(office, [closed], at(TUESDAY, 10)) == 2 * H
    assert paused_seconds(office, [closed, open_], at(TUESDAY, 10)) == 5 * H  # 2 + 2 + 1


def test_deadline_with_pause(office):
    start = at(MONDAY, 9)
    paused = paused_seconds(office, [(at(MONDAY, 10), at(MONDAY, 12))], at(MONDAY, 14))
    assert deadline(office, start, 8 * H, 0) == at(MONDAY, 17)
    assert deadline(office, start, 8 * H, paused) == at(TUESDAY, 11)
    assert consumed(office, start, at(MONDAY, 14), paused) == 3 * H
    assert consumed(office, start, at(MONDAY, 8), 0) == 0   # never negative


def test_fractions_and_offsets(office):
    start = at(MONDAY, 9)
    assert due_at_fraction(office, start, 8 * H, 0, 0.75) == at(MONDAY, 15)
    assert due_at_fraction(office, start, 8 * H, 0, 1.0) == deadline(office, start, 8 * H, 0)
    assert due_at_fraction(office, start, 8 * H, 0, 1.5) == at(TUESDAY, 13)
    assert due_at_fraction(office, start, 8 * H, 1 * H, 0.5) == at(MONDAY, 14)
    assert due_at_offset(office, start, 8 * H, 0, -H) == at(MONDAY, 16)
    assert due_at_offset(office, start, 8 * H, 0, H) == at(TUESDAY, 10)
    assert due_at_offset(office, start, 8 * H, 2 * H, -10 * H) == at(MONDAY, 11)  # clamped at 0


def test_always_on_clock():
    on = AlwaysOn()
    start = at(MONDAY, 9)
    paused = paused_seconds(on, [(at(MONDAY, 10), at(MONDAY, 12))], at(MONDAY, 14))
    assert paused == 2 * H
    assert deadline(on, start, 8 * H, paused) == at(MONDAY, 19)
    assert consumed(on, start, at(MONDAY, 14), paused) == 3 * H


# -------------------------------------------------------------- properties

BASE = at(MONDAY, 0)
minutes = st.integers(0, 14 * 24 * 60).map(lambda m: BASE + timedelta(minutes=m))
targets = st.integers(0, 60 * 60).map(lambda m: m * 60.0)


@st.composite
def pause_history(draw):
    """(start, sorted disjoint pauses after it, now), the last pause possibly open."""
    points = sorted(draw(st.lists(minutes, min_size=2, max_size=12)))
    start, rest = points[0], points[1:]
    now = rest.pop()
    pauses = list(zip(rest[::2], rest[1::2], strict=False))
    if len(rest) % 2:
        pauses.append((rest[-1], None))
    return start, pauses, now


@given(pause_history(), targets)
def test_pause_identities(office, history, target):
    start, pauses, now = history
    paused = paused_seconds(office, pauses, now)
    due = deadline(office, start, target, paused)
    assert due == office.add(start, target + paused)
    assert due_at_fraction(office, start, target, paused, 1.0) == due
    assert due_at_offset(office, start, target, paused, 0) == due
    running = not pauses or pauses[-1][1] is not None
    if running and due is not None and now <= due:
        remaining = office.elapsed(now, due)
        assert consumed(office, start, now, paused) + remaining == pytest.approx(target, abs=1e-6)


@given(pause_history(), targets, st.integers(0, 18), st.floats(0, 1), st.floats(0, 1))
def test_pause_outside_working_time_changes_nothing(office, weekly, history, target, k, f1, f2):
    """A pause inside a closed period (a night or a weekend) counts for nothing."""
    start, pauses, now = history
    intervals = weekly(MONDAY, 28)
    closed_from, closed_to = intervals[k][1], intervals[k + 1][0]
    lo, hi = sorted((f1, f2))
    extra = (closed_from + (closed_to - closed_from) * lo, closed_from + (closed_to - closed_from) * hi)
    before = paused_seconds(office, pauses, now)
    after = paused_seconds(office, pauses + [extra], now)
    assert after == before
    assert deadline(office, start, target, after) == deadline(office, start, target, before)
