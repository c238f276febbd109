"""WorkSchedule / AlwaysOn: hand-checked examples, properties, plan_hours reference."""
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import AlwaysOn, WorkSchedule

US = timedelta(microseconds=1)
H = 3600.0
FRIDAY = date(2025, 1, 3)  # Friday 3 January 2025
MONDAY = date(2025, 1, 6)


def at(day, hour, minute=0):
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=minute)


@pytest.fixture(scope="module")
def office(weekly):
    """Mon-Fri 09:00-17:00 over eight weeks from Monday 30 December 2024."""
    return WorkSchedule(weekly(date(2024, 12, 30), 56))


# --------------------------------------------------------------- examples

@pytest.mark.parametrize("start, hours, expected", [
    (at(FRIDAY, 16, 30), 2, at(MONDAY, 10, 30)),
    (at(FRIDAY, 16), 4, at(MONDAY, 12)),
    (at(FRIDAY - timedelta(days=1), 16), 4, at(FRIDAY, 12)),
    (at(FRIDAY, 17, 1), 4, at(MONDAY, 13)),
    (at(FRIDAY, 9), 8, at(FRIDAY, 17)),            # exactly to the end of the day
    (at(FRIDAY, 16), 1, at(FRIDAY, 17)),
    (at(FRIDAY, 8), 8, at(FRIDAY, 17)),
    (at(FRIDAY, 9), 8 + 1 / 3600, at(MONDAY, 9) + timedelta(seconds=1)),
    (at(FRIDAY, 10), 0, at(FRIDAY, 10)),           # 0 h from a working instant
    (at(FRIDAY, 17), 0, at(MONDAY, 9)),            # 0 h from a closed instant
    (at(FRIDAY + timedelta(days=1), 12), 0, at(MONDAY, 9)),
    (at(FRIDAY, 12), 40, at(FRIDAY + timedelta(days=7), 12)),
])
def test_office_add(office, start, hours, expected):
    assert office.add(start, hours * H) == expected


def test_office_elapsed_and_queries(office):
    assert office.elapsed(at(FRIDAY, 16), at(MONDAY, 10)) == 2 * H
    assert office.elapsed(at(FRIDAY, 18), at(MONDAY, 8)) == 0
    assert office.elapsed(at(MONDAY, 10), at(FRIDAY, 16)) == 0
    assert office.elapsed(at(MONDAY, 0), at(MONDAY + timedelta(days=7), 0)) == 40 * H
    assert office.is_working(at(FRIDAY, 9)) and not office.is_working(at(FRIDAY, 17))
    assert office.next_working(at(FRIDAY, 12)) == at(FRIDAY, 12)
    assert office.next_working(at(FRIDAY, 17)) == at(MONDAY, 9)
    assert office.horizon == (at(date(2024, 12, 30), 9), at(date(2025, 2, 21), 17))


def test_lunch_break(weekly):
    sched = WorkSchedule(weekly(MONDAY, 7, hours=((9, 12), (13, 17))))
    assert sched.add(at(MONDAY, 11), 1 * H) == at(MONDAY, 12)
    assert sched.add(at(MONDAY, 11), 1.5 * H) == at(MONDAY, 13, 30)
    assert sched.add(at(MONDAY, 12, 30), 0) == at(MONDAY, 13)
    assert sched.add(at(MONDAY, 16), 4 * H) == at(MONDAY + timedelta(days=1), 12)  # not 13:00
    assert sched.elapsed(at(MONDAY, 11), at(MONDAY, 14)) == 2 * H


def test_night_shift_crosses_midnight(weekly):
    sched = WorkSchedule(weekly(MONDAY, 7, hours=((22, 6),)))  # Mon-Fri nights
    tuesday = MONDAY + timedelta(days=1)
    assert sched.add(at(MONDAY, 23), 4 * H) == at(tuesday, 3)
    assert sched.add(at(tuesday, 5), 2 * H) == at(tuesday, 23)
    assert sched.add(at(MONDAY, 12), 8 * H) == at(tuesday, 6)
    assert sched.elapsed(at(MONDAY, 0), at(tuesday, 0)) == 2 * H
    assert sched.is_working(at(tuesday, 0))


def test_normalisation():
    d = at(MONDAY, 0)
    h = lambda n: d + timedelta(hours=n)  # noqa: E731
    sched = WorkSchedule([(h(13), h(17)), (h(9), h(12)), (h(12), h(13)), (h(10), h(11)),
                          (h(20), h(20)), (h(22), h(21)), (h(16), h(18))])
    assert len(sched) == 1 and sched.horizon == (h(9), h(18))
    assert sched.elapsed(d, h(24)) == 9 * H


def test_beyond_horizon_and_empty(office):
    start, end = office.horizon
    assert office.add(end, 0) is None
    assert office.add(end - timedelta(hours=1), 1 * H) == end
    assert office.add(end - timedelta(hours=1), 1 * H + 1e-6) is None
    assert office.next_working(end) is None
    empty = WorkSchedule([])
    assert empty.horizon is None and empty.add(start, 0) is None
    assert empty.elapsed(start, end) == 0 and empty.next_working(start) is None


def test_invalid_input(office):
    with pytest.raises(ValueError):
        office.add(at(MONDAY, 9), -1)
    aware = datetime(2025, 1, 6, 9, tzinfo=UTC)
    with pytest.raises(ValueError):
        WorkSchedule([(aware, aware + timedelta(hours=1))])


# -------------------------------------------------------------- properties

BASE = datetime(2025, 1, 6)
Q = 900  # quarter of an hour: grid on which Odoo's float hours stay exact


@st.composite
def schedules(draw):
    """Random disjoint intervals on a quarter-hour grid (gaps of 0 = touching)."""
    slots = draw(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 40)), max_size=40))
    intervals, t = [], 0
    for gap, length in slots:
        t += gap
        intervals.append((BASE + timedelta(seconds=t * Q), BASE + timedelta(seconds=(t + length) * Q)))
        t += length
    return intervals


instants = st.integers(-100 * Q * 10**6, 10_000 * Q * 10**6).map(lambda us: BASE + us * US)
durations = st.floats(0, 2000 * H, allow_nan=False, allow_infinity=False)


@given(schedules(), instants, durations)
def test_add_elapsed_inverse(intervals, start, seconds):
    sched = WorkSchedule(intervals)
    end = sched.add(start, seconds)
    if end is not None:
        assert end >= start
        assert sched.is_working(end) or end in {e for _, e in intervals}
        assert abs(sched.elapsed(start, end) - seconds) <= 1e-6
    else:
        assert sched.elapsed(start, datetime.max) <= seconds


@given(schedules(), instants, durations, durations)
def test_add_monotonic(intervals, start, s1, s2):
    sched = WorkSchedule(intervals)
    lo, hi = sched.add(start, min(s1, s2)), sched.add(start, max(s1, s2))
    assert hi is None or (lo is not None and lo <= hi)


@given(schedules(), instants, instants, instants)
def test_elapsed_additive_and_bruteforce(intervals, a, b, c):
    a, b, c = sorted((a, b, c))
    sched = WorkSchedule(intervals)
    assert sched.elapsed(a, b) + sched.elapsed(b, c) == pytest.approx(sched.elapsed(a, c), abs=1e-6)
    brute = sum(max(timedelta(0), min(e, c) - max(s, a)).total_seconds() for s, e in intervals)
    assert sched.elapsed(a, c) == pytest.approx(brute, abs=1e-6)


@given(schedules(), instants)
def test_next_working_is_add_zero(intervals, dt):
    sched = WorkSchedule(intervals)
    nxt = sched.next_working(dt)
    assert nxt == sched.add(dt, 0)
    assert sched.is_working(dt) == (nxt == dt)


@given(instants, instants, durations)
def test_always_on_is_timedelta(a, b, seconds):
    on = AlwaysOn()
    assert on.add(a, seconds) == a + timedelta(seconds=seconds)
    assert on.elapsed(a, b) == max(0.0, (b - a).total_seconds())
    assert on.next_working(a) == a and on.is_working(a) and on.horizon is None


# ------------------------------------------- reference: Odoo's plan_hours loop

def plan_hours_reference(intervals, hours, day_dt):
    """Mirror of ``resource.calendar.plan_hours`` (hours >= 0) on expanded intervals:
    14-day chunks from ``day_dt``, intervals clipped to each chunk, float hours."""
    delta = timedelta(days=14)
    for n in range(100):
        dt = day_dt + delta * n
        chunk = [(max(s, dt), min(e, dt + delta)) for s, e in intervals]
        for start, stop in sorted(c for c in chunk if c[0] < c[1]):
            interval_hours = (stop - start).total_seconds() / 3600
            if hours <= interval_hours:
                return start + timedelta(hours=hours)
            hours -= interval_hours
    return None


@settings(max_examples=1000)
@given(schedules(), st.integers(-100, 10_000), st.integers(0, 3000))
def test_reference_on_grid_exact(intervals, start_q, target_q):
    """On the quarter-hour grid Odoo's float arithmetic is exact: results must be equal,
    including targets landing exactly on an interval end."""
    start = BASE + timedelta(seconds=start_q * Q)
    sched = WorkSchedule(intervals)
    assert sched.add(start, target_q * Q) == plan_hours_reference(intervals, target_q / 4, start)


@settings(max_examples=1000)
@given(schedules(), instants, durations)
def test_reference_arbitrary(intervals, start, seconds):
    expected = plan_hours_reference(intervals, seconds / 3600, start)
    got = WorkSchedule(intervals).add(start, seconds)
    assert (got is None) == (expected is None)
    if got is not None:
        assert abs(got - expected) <= US


def punch_leaves(intervals, leaves):
    """Remove the ``(start, end)`` leaves from the intervals (as Odoo's leave subtraction)."""
    for lo, hi in leaves:
        intervals = [p for s, e in intervals for p in ((s, min(e, lo)), (max(s, hi), e)) if p[0] < p[1]]
    return intervals


def test_reference_random_business_calendars(weekly):
    """A few thousand random queries on realistic calendars with random leaves."""
    rng = random.Random(20250106)
    origin = datetime(2025, 1, 1)
    for hours, weekdays in [(((9, 17),), range(5)), (((8, 12), (13, 17)), range(6)), (((22, 6),), range(5))]:
        leaves = []
        for _ in range(15):
            lo = origin + timedelta(minutes=rng.randrange(120 * 24 * 60))
            leaves.append((lo, lo + timedelta(minutes=rng.randrange(3 * 24 * 60))))
        intervals = punch_leaves(weekly(origin.date(), 120, hours, weekdays), leaves)
        sched = WorkSchedule(intervals)
        for _ in range(1500):
            start = origin + timedelta(seconds=rng.uniform(0, 100 * 86400))
            seconds = rng.choice([0.0, rng.uniform(0, H), rng.uniform(0, 80 * H), H * rng.randint(0, 40)])
            expected = plan_hours_reference(intervals, seconds / 3600, start)
            got = sched.add(start, seconds)
            assert (got is None) == (expected is None)
            if got is not None:
                assert abs(got - expected) <= US, (start, seconds)
