"""Business-time arithmetic behind SLA deadlines (pure Python, no Odoo import).

All datetimes are naive and expressed in UTC; durations are float seconds.
"""
from .clock import consumed, deadline, due_at_fraction, due_at_offset, paused_seconds
from .schedule import AlwaysOn, WorkSchedule

__all__ = [
    "AlwaysOn",
    "WorkSchedule",
    "consumed",
    "deadline",
    "due_at_fraction",
    "due_at_offset",
    "paused_seconds",
]
