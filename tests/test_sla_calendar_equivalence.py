import random
from datetime import datetime, timedelta

from odoo.fields import Command
from odoo.tests import TransactionCase, tagged

from ..models.helpdesk_sla_status import SlaClock

# Around both DST changes of 2026: Europe 29 March / 25 October, United States 8 March / 1 November.
WINDOWS = [
    (datetime(2026, 3, 1), datetime(2026, 4, 10)),
    (datetime(2026, 10, 18), datetime(2026, 11, 12)),
]


def attendance(day, hour_from, hour_to, period='morning'):
    return Command.create({'name': f"{day} {hour_from}-{hour_to}", 'dayofweek': str(day),
                           'hour_from': hour_from, 'hour_to': hour_to, 'day_period': period})


@tagged('post_install', '-at_install')
class TestSlaCalendarEquivalence(TransactionCase):
    """SLA deadlines equal resource.calendar.plan_hours(compute_leaves=True) to the second."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Calendar = cls.env['resource.calendar']
        cls.brussels_lunch = Calendar.create({
            'name': "Brussels with lunch", 'tz': 'Europe/Brussels',
            'attendance_ids': [Command.clear()] + [a for day in range(5) for a in (
                attendance(day, 8.5, 12.0), attendance(day, 13.0, 17.5, 'afternoon'))],
        })
        cls.new_york = Calendar.create({
            'name': "New York 9-17 and Saturday morning", 'tz': 'America/New_York',
            'attendance_ids': [Command.clear()] + [attendance(day, 9.0, 17.0, 'full_day') for day in range(5)]
            + [attendance(5, 9.0, 12.0)],
        })
        cls.night_shift = Calendar.create({
            'name': "Night shift 22:00-06:00", 'tz': 'Asia/Kolkata',
            'attendance_ids': [Command.clear()] + [a for day in range(5) for a in (
                attendance(day, 22.0, 24.0, 'afternoon'), attendance((day + 1) % 7, 0.0, 6.0))],
        })
        # a week with a public holiday (Easter Monday) and a half-day off on both DST weeks
        for calendar in (cls.brussels_lunch, cls.new_york, cls.night_shift):
            cls.env['resource.calendar.leaves'].create([{
                'name': "Easter Monday", 'calendar_id': calendar.id,
                'date_from': datetime(2026, 4, 5, 22, 0), 'date_to': datetime(2026, 4, 6, 22, 0),
            }, {
                'name': "Afternoon off", 'calendar_id': calendar.id,
                'date_from': datetime(2026, 3, 27, 12, 0), 'date_to': datetime(2026, 3, 27, 23, 0),
            }, {
                'name': "Team day", 'calendar_id': calendar.id,
                'date_from': datetime(2026, 10, 30, 0, 0), 'date_to': datetime(2026, 10, 30, 23, 59),
            }])

    def test_generated_cases(self):
        rng = random.Random(20261123)
        cases = 0
        for calendar in (self.brussels_lunch, self.new_york, self.night_shift):
            for window_start, window_end in WINDOWS:
                span = int((window_end - window_start).total_seconds())
                starts = [window_start + timedelta(seconds=rng.randrange(span)) for _ in range(170)]
                clock = SlaClock(self.env, min(starts))
                for start in starts:
                    for hours in (rng.choice([0.5, 1, 2, 4, 8, 24, 48]), round(rng.uniform(0.01, 60), 4)):
                        expected = calendar.plan_hours(hours, start, compute_leaves=True)
                        ours = clock.solve(calendar, lambda s, start=start, hours=hours: s.add(start, hours * 3600))
                        self.assertLess(abs(ours - expected), timedelta(seconds=1),
                                        f"{calendar.name}: {hours} h from {start}")
                        cases += 1
        self.assertGreaterEqual(cases, 2000)
