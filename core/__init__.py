"""The pure-Python core of helpdesk_sla: what has no ORM in it (never imports Odoo).

* business-time arithmetic behind SLA deadlines (``schedule``, ``clock``): naive UTC
  datetimes, durations in float seconds;
* escalation trigger moments (``escalation``), assignment planning (``assignment``),
  automated-email detection (``email``);
* the selections shared by several models (``constants``).
"""
from .assignment import plan_assignees, queue_order
from .clock import consumed, deadline, due_at_fraction, due_at_offset
from .email import is_automated_email
from .escalation import trigger_moment
from .schedule import AlwaysOn, WorkSchedule

__all__ = [
    "AlwaysOn",
    "WorkSchedule",
    "consumed",
    "deadline",
    "due_at_fraction",
    "due_at_offset",
    "is_automated_email",
    "plan_assignees",
    "queue_order",
    "trigger_moment",
]
