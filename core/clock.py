"""SLA clock arithmetic with pauses (the clock stops in excluded stages).

``paused`` is always the number of *working* seconds spent paused so far; a
pause is assumed not to overlap another one.  Future pauses are unknown, so
every "when" answer assumes the clock keeps running from now on.  Functions
returning a datetime return None when it lies beyond the schedule's horizon.
"""


def deadline(schedule, start, target_seconds, paused):
    """Instant when ``target_seconds`` of running clock time are used up."""
    return schedule.add(start, target_seconds + paused)


def consumed(schedule, start, now, paused):
    """Working seconds counted on the clock between ``start`` and ``now`` (>= 0)."""
    return max(0.0, schedule.elapsed(start, now) - paused)


def due_at_fraction(schedule, start, target_seconds, paused, fraction):
    """Instant when the clock reaches ``fraction * target_seconds``
    (0.75 = 75 %, 1.5 = half the target past the deadline)."""
    return schedule.add(start, max(0.0, fraction * target_seconds) + paused)


def due_at_offset(schedule, start, target_seconds, paused, offset_seconds):
    """Instant when the clock reaches ``target_seconds + offset_seconds``
    (negative = before the deadline); the clock target is clamped at 0."""
    return schedule.add(start, max(0.0, target_seconds + offset_seconds) + paused)
