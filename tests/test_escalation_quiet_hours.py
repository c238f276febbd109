from datetime import datetime

from odoo.fields import Command
from odoo.tests import tagged

from .test_escalation import EscalationCommon

FRIDAY = datetime(2026, 2, 27, 10, 0)
MONDAY = datetime(2026, 3, 2, 10, 0)


@tagged('post_install', '-at_install')
class TestEscalationQuietHours(EscalationCommon):
    """respect_working_hours: escalations apply on time; their notifications reach each user
    within that user's working hours only (held, then one digest at the start of the next
    working period)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the manager (team leader) works 9-17 on the test calendar, as their own resource
        cls.manager_resource = cls.env['resource.resource'].create({
            'name': cls.manager.name, 'user_id': cls.manager.id, 'calendar_id': cls.calendar.id})
        cls.Held = cls.env['helpdesk.escalation.notification']

    def _alert_rule(self, **values):
        return self._rule(name="Alert", trigger_value=100, sla_ids=[Command.link(self.sla_resolution.id)],
                          raise_priority=True, notify_leader=True, **values)

    def _deliver(self, when):
        with self.travel(when):
            delivered = self.Held._deliver_due(when)
        self.env.invalidate_all()
        return delivered

    def test_fired_at_20_delivered_at_9_next_working_day_once(self):
        self._alert_rule()
        ticket = self._new_ticket(MONDAY)  # solve in 4 h: due Monday 14:00
        self.assertEqual(self._escalate(datetime(2026, 3, 2, 20, 0)), 1)
        self.assertEqual(ticket.priority, '2', "the escalation itself is applied on time")
        self.assertFalse(self._digests(self.manager), "nobody is woken up at 20:00")
        held = self.Held.search([('ticket_id', '=', ticket.id)])
        self.assertEqual((held.user_id, held.state, held.scheduled_date),
                         (self.manager, 'pending', datetime(2026, 3, 3, 9, 0)))
        self.assertIn(held, self.Held.with_user(self.manager).search([]), "the manager sees what waits for them")
        self.assertFalse(self.Held.with_user(self.agent).search([]), "and only they (and managers)")
        self.assertFalse(self._deliver(datetime(2026, 3, 3, 8, 59)))
        self.assertEqual(self._deliver(datetime(2026, 3, 3, 9, 0)), held)
        digests = self._digests(self.manager)
        self.assertEqual(len(digests), 1)
        self.assertIn(ticket.name, str(digests.body))
        self.assertEqual(held.state, 'sent')
        self.assertFalse(self._deliver(datetime(2026, 3, 3, 9, 15)), "delivered once")
        self.assertEqual(len(self._digests(self.manager)), 1)

    def test_on_leave_monday_gets_it_tuesday(self):
        self.env['resource.calendar.leaves'].create({
            'name': "Manager off", 'resource_id': self.manager_resource.id, 'calendar_id': self.calendar.id,
            'date_from': datetime(2026, 3, 2, 0, 0), 'date_to': datetime(2026, 3, 2, 23, 59)})
        self._alert_rule()
        ticket = self._new_ticket(FRIDAY)  # due Friday 14:00
        self._escalate(datetime(2026, 2, 27, 20, 0))
        held = self.Held.search([('ticket_id', '=', ticket.id)])
        self.assertEqual(held.scheduled_date, datetime(2026, 3, 3, 9, 0), "Monday is time off: Tuesday 09:00")
        self.assertFalse(self._deliver(datetime(2026, 3, 2, 9, 0)))
        self.assertEqual(self._deliver(datetime(2026, 3, 3, 9, 0)), held)
        self.assertEqual(len(self._digests(self.manager)), 1)

    def test_one_digest_per_user_and_what_changed(self):
        self._alert_rule()
        first, second = self._new_ticket(MONDAY, name="First"), self._new_ticket(MONDAY, name="Second")
        self._escalate(datetime(2026, 3, 2, 20, 0))
        with self.travel(datetime(2026, 3, 2, 21, 0)):
            second.stage_id = self.stage_solved
        self._deliver(datetime(2026, 3, 3, 9, 0))
        digests = self._digests(self.manager)
        self.assertEqual(len(digests), 1, "one digest for everything held")
        self.assertIn("First", str(digests.body))
        self.assertIn("closed since", str(digests.body))
        self.assertEqual(self.Held.search([('ticket_id', '=', second.id)]).change_note, "closed since (Solved)")
        self.assertFalse(self.Held.search([('ticket_id', '=', first.id)]).change_note)

    def test_within_working_hours_or_not_respecting_them_is_immediate(self):
        self._alert_rule()
        self._new_ticket(MONDAY)
        self._escalate(datetime(2026, 3, 2, 14, 30))
        self.assertEqual(len(self._digests(self.manager)), 1, "at work: at once")
        self.assertFalse(self.Held.search([]))

    def test_rule_not_respecting_working_hours(self):
        self._alert_rule(respect_working_hours=False)
        self._new_ticket(MONDAY)
        self._escalate(datetime(2026, 3, 2, 20, 0))
        self.assertEqual(len(self._digests(self.manager)), 1)
        self.assertFalse(self.Held.search([]))
