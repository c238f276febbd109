"""When an escalation rule's trigger fires on an SLA line's clock."""
from .clock import due_at_fraction, due_at_offset


def trigger_moment(kind, value, start, target_seconds, paused):
    """A function of a work schedule answering when a trigger fires (None beyond its horizon),
    for a clock started at ``start`` with ``paused`` working seconds paused: ``value`` % of the
    target consumed ('consumed_pct'), or ``value`` working hours before ('before_deadline') /
    after ('after_deadline') the deadline."""
    if kind == 'consumed_pct':
        return lambda schedule: due_at_fraction(schedule, start, target_seconds, paused, value / 100.0)
    offset = value * 3600.0 * (-1 if kind == 'before_deadline' else 1)
    return lambda schedule: due_at_offset(schedule, start, target_seconds, paused, offset)
