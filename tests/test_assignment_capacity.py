from datetime import datetime, timedelta

from odoo.fields import Command
from odoo.tests import freeze_time, tagged

from .common import HelpdeskCommon

NOW = datetime(2026, 3, 4, 10, 0)  # a Wednesday


@tagged('post_install', '-at_install')
class TestAgentCapacity(HelpdeskCommon):
    """helpdesk.team.agent_capacity: automatic assignment never exceeds it; the other tickets
    wait unassigned and get an agent as soon as one has room."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.write({'assign_method': 'balanced', 'agent_capacity': 2})
        cls.agents = (cls.agent | cls.agent_2).sorted('id')

    def _create_tickets(self, count, start=NOW, **values):
        """``count`` tickets, one a minute from ``start``."""
        tickets = self.env['helpdesk.ticket']
        for index in range(count):
            with self.travel(start + timedelta(minutes=index)):
                tickets |= self._create_ticket(name=f"Ticket {index}", **values)
        return tickets

    def _queue(self):
        return self.env['helpdesk.ticket'].search(self.team._get_queue_domain())

    def test_six_tickets_two_agents_capacity_two(self):
        tickets = self._create_tickets(6)
        for agent in self.agents:
            self.assertEqual(len(tickets.filtered(lambda ticket, agent=agent: ticket.user_id == agent)), 2)
        queued = tickets.filtered(lambda ticket: not ticket.user_id)
        self.assertEqual(queued, tickets[4:], "the two newest wait")
        self.assertEqual(self._queue(), queued)
        self.assertEqual(self.team.queued_ticket_count, 2)
        self.assertIn("2 / 2", self.team.agent_load)
        # a close frees room: the oldest waiting ticket gets the agent at once, not at a cron tick
        closing = tickets[0]
        with self.travel(NOW + timedelta(hours=1)):
            closing.stage_id = self.stage_solved
        self.assertEqual(tickets[4].user_id, closing.user_id)
        self.assertTrue(tickets[4].assign_date)
        self.assertFalse(tickets[5].user_id, "still no room for the newest")
        # a reassignment frees room too (manually giving an agent more is allowed)
        with self.travel(NOW + timedelta(hours=2)):
            tickets[1].user_id = tickets[2].user_id if tickets[2].user_id != tickets[1].user_id else tickets[3].user_id
        self.assertTrue(tickets[5].user_id)
        self.assertFalse(self._queue())

    def test_queue_order_priority_within_the_minute(self):
        self.team.agent_capacity = 1
        busy = self._create_tickets(2)  # both agents full
        self.assertTrue(all(busy.mapped('user_id')))
        with self.travel(NOW + timedelta(minutes=10, seconds=1)):
            low = self._create_ticket(name="Low", priority='0')
        with self.travel(NOW + timedelta(minutes=10, seconds=40)):
            urgent = self._create_ticket(name="Urgent", priority='3')
        with self.travel(NOW + timedelta(minutes=9)):
            older = self._create_ticket(name="Older", priority='0')
        self.assertFalse((low | urgent | older).user_id)
        busy[0].stage_id = self.stage_solved
        self.assertTrue(older.user_id, "oldest minute first")
        busy[1].stage_id = self.stage_solved
        self.assertTrue(urgent.user_id, "higher priority first within the same minute")
        self.assertFalse(low.user_id)

    def test_capacity_with_time_off(self):
        away, present = self.agents
        with self.travel(NOW):
            leave = self._add_leave(away, NOW - timedelta(days=1), NOW + timedelta(days=1))
        cron = self.env.ref('helpdesk_sla.ir_cron_helpdesk_assignment_queue')
        self.assertTrue(self.env['ir.cron.trigger'].search([('cron_id', '=', cron.id),
                                                             ('call_at', '=', leave.date_to)]),
                        "the queue is served when the time off ends")
        tickets = self._create_tickets(4)
        self.assertEqual(tickets.user_id, present, "the agent away gets nothing")
        self.assertEqual(len(tickets.filtered('user_id')), 2, "the agent present up to the capacity")
        with freeze_time(leave.date_to + timedelta(minutes=1)):
            self.env['helpdesk.assignment.rule']._cron_assign_queue()
        self.assertEqual(tickets.filtered(lambda ticket: ticket.user_id == away), tickets[2:])
        self.assertFalse(self._queue())

    def test_rules_respect_the_capacity(self):
        self.team.assign_method = 'manual'
        self.env['helpdesk.assignment.rule'].create({
            'name': "All to Alice", 'team_id': self.team.id, 'user_ids': [Command.set(self.agent.ids)],
            'assign_method': 'randomly'})
        tickets = self._create_tickets(3)
        self.assertEqual(len(tickets.filtered(lambda ticket: ticket.user_id == self.agent)), 2)
        self.assertEqual(self._queue(), tickets[2])

    def test_no_capacity_no_limit(self):
        self.team.agent_capacity = 0
        tickets = self._create_tickets(6)
        self.assertTrue(all(tickets.mapped('user_id')))
