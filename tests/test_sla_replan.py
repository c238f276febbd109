import random
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tests.common import RecordCapturer

from ..models import helpdesk_sla_status_replan
from .common import HelpdeskCommon

MONDAY_9 = datetime(2026, 3, 2, 9, 0)


@tagged('post_install', '-at_install')
class TestSlaReplan(HelpdeskCommon):
    """Editing a policy or the working time of its calendar re-plans the open lines: deadline =
    start + new target in working time + pauses, as if the setting had always been so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Status = cls.env['helpdesk.sla.status']
        cls.solve = cls.env['helpdesk.sla'].create({
            'name': "Solve in 4 h", 'team_id': cls.team.id, 'target_type': 'resolution',
            'stage_id': cls.stage_solved.id, 'time': 4.0, 'warning_pct': 50.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        })

    def _at(self, when, action):
        with self.travel(when):
            result = action()
            self.env.flush_all()
            self.env.invalidate_all()
            return result

    def _line(self, ticket):
        return ticket.sla_status_ids.filtered(lambda line: line.sla_id == self.solve)

    def test_time_change_replans_open_lines_only(self):
        ticket = self._at(MONDAY_9, self._create_ticket)
        done = self._at(MONDAY_9, lambda: self._create_ticket(name="done"))
        self._at(datetime(2026, 3, 2, 10, 0), lambda: done.write({'stage_id': self.stage_solved.id}))
        line, done_line = self._line(ticket), self._line(done)
        done_deadline = done_line.deadline
        self._at(datetime(2026, 3, 2, 10, 0), lambda: ticket.write({'stage_id': self.stage_waiting.id}))
        self._at(datetime(2026, 3, 2, 11, 0), lambda: ticket.write({'stage_id': self.stage_progress.id}))
        self.assertEqual(line.deadline, datetime(2026, 3, 2, 14, 0))
        self._at(datetime(2026, 3, 2, 12, 0), lambda: self.solve.write({'time': 10.0, 'warning_pct': 80.0}))
        # 10 working hours from Monday 9:00 plus the hour paused: Tuesday 12:00
        expected = self.calendar.plan_hours(11.0, MONDAY_9, compute_leaves=True)
        self.assertEqual(expected, datetime(2026, 3, 3, 12, 0))
        self.assertEqual(line.deadline, expected)
        self.assertEqual(line.warning_date, self.calendar.plan_hours(9.0, MONDAY_9, compute_leaves=True))
        self.assertEqual(ticket.sla_deadline, expected, "the ticket's stored summary follows")
        self.assertEqual(done_line.deadline, done_deadline, "reached lines stay history")
        replan = line.event_ids.filtered(lambda event: event.event_type == 'replan')
        self.assertEqual((replan.previous_deadline, replan.deadline, replan.detail),
                         (datetime(2026, 3, 2, 14, 0), expected, 'policy'))
        self.assertFalse(done_line.event_ids.filtered(lambda event: event.event_type == 'replan'))

    def test_replan_makes_a_failed_line_ongoing(self):
        ticket = self._at(MONDAY_9, self._create_ticket)
        with self.travel(datetime(2026, 3, 2, 14, 0)):
            self.Status._cron_refresh_status()
            self.assertTrue(ticket.sla_fail)
        self._at(datetime(2026, 3, 2, 14, 0), lambda: self.solve.write({'time': 8.0}))
        with self.travel(datetime(2026, 3, 2, 14, 0)):
            self.assertFalse(ticket.sla_fail)
            self.assertEqual(self._line(ticket).status, 'warning')

    def test_basis_change_counts_pauses_again(self):
        """From working hours to 24/7: the pause over the night counts 17.5 hours, not 1."""
        ticket = self._at(datetime(2026, 3, 2, 16, 0), self._create_ticket)
        self._at(datetime(2026, 3, 2, 16, 30), lambda: ticket.write({'stage_id': self.stage_waiting.id}))
        self._at(datetime(2026, 3, 3, 10, 0), lambda: ticket.write({'stage_id': self.stage_progress.id}))
        self._at(datetime(2026, 3, 3, 10, 0), lambda: self.solve.write({'time': 8.0, 'time_basis': 'always'}))
        line = self._line(ticket)
        self.assertEqual(line.paused_seconds, 17.5 * 3600)
        self.assertEqual(line.deadline, datetime(2026, 3, 3, 17, 30))

    def test_excluded_stages_change_pauses_and_resumes(self):
        ticket = self._at(MONDAY_9, lambda: self._create_ticket(stage_id=self.stage_progress.id))
        self._at(datetime(2026, 3, 2, 10, 0), lambda: self.solve.write(
            {'exclude_stage_ids': [Command.link(self.stage_progress.id)]}))
        line = self._line(ticket)
        self.assertEqual(line.pause_start, datetime(2026, 3, 2, 10, 0))
        self._at(datetime(2026, 3, 2, 11, 0), lambda: self.solve.write(
            {'exclude_stage_ids': [Command.unlink(self.stage_progress.id)]}))
        self.assertFalse(line.pause_start)
        self.assertEqual(line.deadline, datetime(2026, 3, 2, 14, 0))

    def test_public_holiday_added_and_removed(self):
        """Friday 16:30, 2 working hours: due Monday 10:30; a public holiday on Monday (no
        calendar: every calendar) moves it to Tuesday 10:30; removing it moves it back."""
        solve_2h = self.env['helpdesk.sla'].create({
            'name': "Respond in 2 h", 'team_id': self.team.id, 'target_type': 'first_response', 'time': 2.0})
        friday = datetime(2026, 3, 6, 16, 30)
        ticket = self._at(friday, self._create_ticket)
        line = ticket.sla_status_ids.filtered(lambda line: line.sla_id == solve_2h)
        self.assertEqual(line.deadline, datetime(2026, 3, 9, 10, 30))
        holiday = self._at(datetime(2026, 3, 6, 17, 0), lambda: self.env['resource.calendar.leaves'].create({
            'name': "Public holiday", 'date_from': datetime(2026, 3, 9, 0, 0), 'date_to': datetime(2026, 3, 9, 23, 59, 59)}))
        self.assertEqual(line.deadline, datetime(2026, 3, 10, 10, 30))
        self.assertEqual(line.deadline, self.calendar.plan_hours(2.0, friday, compute_leaves=True))
        self.assertEqual(line.event_ids.filtered(lambda event: event.event_type == 'replan').detail, 'calendar')
        self._at(datetime(2026, 3, 6, 17, 0), holiday.unlink)
        self.assertEqual(line.deadline, datetime(2026, 3, 9, 10, 30))

    def test_calendar_leave_across_dst(self):
        """Brussels hours, a ticket before the spring DST change; a leave of that calendar on the
        Monday after it: the deadline equals plan_hours to the second."""
        brussels = self.env['resource.calendar'].create({
            'name': "Brussels 9-17", 'tz': 'Europe/Brussels',
            'attendance_ids': [Command.clear()] + [Command.create({
                'name': f"Day {day}", 'dayofweek': str(day), 'hour_from': 9.0, 'hour_to': 17.0,
                'day_period': 'full_day'}) for day in range(5)],
        })
        self.team.resource_calendar_id = brussels
        created = datetime(2026, 3, 27, 15, 30)  # Friday 16:30 CET; Sunday 29 March goes CEST
        ticket = self._at(created, self._create_ticket)
        line = self._line(ticket)
        self.assertEqual(line.deadline, datetime(2026, 3, 30, 10, 30))  # Monday 12:30 CEST
        self._at(datetime(2026, 3, 27, 16, 0), lambda: self.env['resource.calendar.leaves'].create({
            'name': "Team day", 'calendar_id': brussels.id,
            'date_from': datetime(2026, 3, 29, 22, 0), 'date_to': datetime(2026, 3, 30, 21, 59, 59)}))
        self.assertEqual(line.deadline, brussels.plan_hours(4.0, created, compute_leaves=True))
        self.assertEqual(line.deadline, datetime(2026, 3, 31, 10, 30))

    def test_attendance_change_replans(self):
        ticket = self._at(MONDAY_9, self._create_ticket)
        monday = self.calendar.attendance_ids.filtered(lambda attendance: attendance.dayofweek == '0')
        self._at(datetime(2026, 3, 2, 9, 30), lambda: monday.write({'hour_to': 11.0}))
        self.assertEqual(self._line(ticket).deadline, datetime(2026, 3, 3, 11, 0))

    def test_large_sets_go_to_the_background(self):
        tickets = self._at(MONDAY_9, lambda: self.env['helpdesk.ticket'].create([
            {'name': f"T{n}", 'team_id': self.team.id} for n in range(3)]))
        cron = self.env.ref('helpdesk_sla.ir_cron_helpdesk_sla_replan')
        with patch.object(helpdesk_sla_status_replan, 'REPLAN_INLINE_LIMIT', 2), \
                RecordCapturer(self.env['ir.cron.trigger'], [('cron_id', '=', cron.id)]) as triggers, \
                RecordCapturer(self.env['mail.message'], [('model', '=', 'helpdesk.sla'),
                                                          ('res_id', '=', self.solve.id)]) as messages:
            self._at(datetime(2026, 3, 2, 10, 0), lambda: self.solve.write({'time': 8.0}))
        self.assertTrue(triggers.records, "the re-planning cron is triggered")
        self.assertIn("re-planned in the background", messages.records[:1].body)
        lines = tickets.sla_status_ids
        self.assertEqual(set(lines.mapped('deadline')), {datetime(2026, 3, 2, 13, 0)}, "not re-planned yet")
        self.assertEqual(set(lines.mapped('replan_reason')), {'policy'})
        self._at(datetime(2026, 3, 2, 10, 1), lambda: self.Status._cron_replan(batch_size=2, commit=False))
        self.assertEqual(set(lines.mapped('deadline')), {datetime(2026, 3, 2, 17, 0)})
        self.assertFalse(any(lines.mapped('replan_reason')))
        self.assertEqual(set(tickets.mapped('sla_deadline')), {datetime(2026, 3, 2, 17, 0)})

    def test_replanned_deadlines_equal_plan_hours(self):
        """Generated cases around the spring DST change on Brussels hours with a lunch break:
        after a public holiday is added, then removed, and after the target changes, every open
        line's deadline equals resource.calendar.plan_hours(target, start) to the second."""
        brussels = self.env['resource.calendar'].create({
            'name': "Brussels with lunch", 'tz': 'Europe/Brussels',
            'attendance_ids': [Command.clear()] + [Command.create({
                'name': f"{day} {start}", 'dayofweek': str(day), 'hour_from': start, 'hour_to': end,
                'day_period': period}) for day in range(5)
                for start, end, period in ((8.5, 12.0, 'morning'), (13.0, 17.5, 'afternoon'))],
        })
        self.team.resource_calendar_id = brussels
        rng = random.Random(20260329)
        starts = sorted(datetime(2026, 3, 23) + timedelta(minutes=rng.randrange(12 * 24 * 60)) for _ in range(25))
        tickets = self.env['helpdesk.ticket']
        for start in starts:
            tickets |= self._at(start, lambda: self._create_ticket(stage_id=self.stage_progress.id))

        def check(hours):
            self.env.invalidate_all()
            for line in tickets.sla_status_ids:
                self.assertEqual(line.deadline, brussels.plan_hours(hours, line.start_date, compute_leaves=True),
                                 f"{hours} h from {line.start_date}")
            # the tickets' summary rewritten in SQL is what the ORM computes
            summary = ['sla_deadline', 'sla_fail_date', 'sla_status', 'sla_reached_late', 'sla_success']
            stored = tickets.read(summary)
            self.env.add_to_compute(tickets._fields['sla_deadline'], tickets)
            tickets._recompute_recordset(summary)
            self.assertEqual(tickets.read(summary), stored)

        check(4.0)
        holiday = self._at(datetime(2026, 3, 23), lambda: self.env['resource.calendar.leaves'].create({
            'name': "Public holiday", 'date_from': datetime(2026, 3, 29, 22, 0), 'date_to': datetime(2026, 3, 30, 21, 59, 59)}))
        check(4.0)
        self._at(datetime(2026, 3, 23), lambda: self.solve.write({'time': 13.5}))
        check(13.5)
        self._at(datetime(2026, 3, 23), holiday.unlink)
        check(13.5)
