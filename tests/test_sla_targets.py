from datetime import datetime

from odoo.fields import Command
from odoo.tests import tagged

from .common import HelpdeskCommon
from .common_portal import HelpdeskPortalCommon

MONDAY_9 = datetime(2026, 3, 2, 9, 0)


@tagged('post_install', '-at_install')
class TestSlaTargets(HelpdeskCommon):
    """The 'assignment' and 'periodic_update' targets, with pauses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        SLA = cls.env['helpdesk.sla']
        cls.assign_1h = SLA.create({
            'name': "Assign in 1 h", 'team_id': cls.team.id, 'target_type': 'assignment', 'time': 1.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)]})
        cls.update_2h = SLA.create({
            'name': "Update every 2 h", 'team_id': cls.team.id, 'target_type': 'periodic_update', 'time': 2.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)]})

    def _at(self, when, action):
        with self.travel(when):
            result = action()
            self.env.flush_all()
            self.env.invalidate_all()
            return result

    def _lines(self, ticket, sla):
        return ticket.sla_status_ids.filtered(lambda line: line.sla_id == sla).sorted('start_date')

    def _post(self, ticket, author, internal=False):
        ticket.with_user(author).message_post(
            body="Update", message_type='comment',
            subtype_xmlid='mail.mt_note' if internal else 'mail.mt_comment')

    def test_assignment_reached_when_first_assigned(self):
        ticket = self._at(MONDAY_9, self._create_ticket)
        line = self._lines(ticket, self.assign_1h)
        self.assertEqual(line.deadline, datetime(2026, 3, 2, 10, 0))
        self._at(datetime(2026, 3, 2, 9, 10), lambda: ticket.write({'stage_id': self.stage_waiting.id}))
        self._at(datetime(2026, 3, 2, 10, 10), lambda: ticket.write({'stage_id': self.stage_progress.id}))
        self._at(datetime(2026, 3, 2, 10, 50), lambda: ticket.write({'user_id': self.agent.id}))
        self.assertEqual(line.reached_datetime, datetime(2026, 3, 2, 10, 50))
        self.assertEqual(line.deadline, datetime(2026, 3, 2, 11, 0), "the pause moved the deadline")
        self.assertEqual(line.exceeded_hours, 0.0)
        self._at(datetime(2026, 3, 2, 12, 0), lambda: ticket.write({'user_id': self.agent_2.id}))
        self.assertEqual(line.reached_datetime, datetime(2026, 3, 2, 10, 50), "the first assignment counts")

    def test_assignment_late_and_at_creation(self):
        late = self._at(MONDAY_9, self._create_ticket)
        self._at(datetime(2026, 3, 2, 11, 0), lambda: late.write({'user_id': self.agent.id}))
        self.assertEqual(self._lines(late, self.assign_1h).exceeded_hours, 1.0)
        assigned = self._at(MONDAY_9, lambda: self._create_ticket(user_id=self.agent.id))
        self.assertEqual(self._lines(assigned, self.assign_1h).reached_datetime, MONDAY_9)

    def test_periodic_update_windows(self):
        ticket = self._at(MONDAY_9, lambda: self._create_ticket(user_id=self.agent.id))
        first = self._lines(ticket, self.update_2h)
        self.assertEqual(first.deadline, datetime(2026, 3, 2, 11, 0))
        self._at(datetime(2026, 3, 2, 9, 30), lambda: self._post(ticket, self.agent, internal=True))
        self._at(datetime(2026, 3, 2, 9, 45), lambda: self._post(ticket, self.customer_user()))
        self.assertEqual(len(self._lines(ticket, self.update_2h)), 1, "notes and customer messages do not count")
        self._at(datetime(2026, 3, 2, 10, 0), lambda: self._post(ticket, self.agent))
        first, second = self._lines(ticket, self.update_2h)
        self.assertEqual(first.reached_datetime, datetime(2026, 3, 2, 10, 0))
        self.assertEqual((second.start_date, second.deadline), (datetime(2026, 3, 2, 10, 0), datetime(2026, 3, 2, 12, 0)))
        # paused an hour while waiting on the customer: the window moves by that hour
        self._at(datetime(2026, 3, 2, 11, 0), lambda: ticket.write({'stage_id': self.stage_waiting.id}))
        self._at(datetime(2026, 3, 2, 12, 0), lambda: ticket.write({'stage_id': self.stage_progress.id}))
        self.assertEqual(second.deadline, datetime(2026, 3, 2, 13, 0))
        self._at(datetime(2026, 3, 2, 13, 30), lambda: self._post(ticket, self.agent))
        self.assertEqual(second.exceeded_hours, 0.5, "reached half an hour late")
        third = self._lines(ticket, self.update_2h)[2]
        self._at(datetime(2026, 3, 2, 14, 0), lambda: ticket.write({'stage_id': self.stage_solved.id}))
        self.assertEqual(third.reached_datetime, datetime(2026, 3, 2, 14, 0), "closing ends the running window")
        self._at(datetime(2026, 3, 2, 14, 30), lambda: self._post(ticket, self.agent))
        self.assertEqual(len(self._lines(ticket, self.update_2h)), 3, "no window on a closed ticket")

    def customer_user(self):
        if not hasattr(self, '_portal_customer'):
            self._portal_customer = self.env['res.users'].create({
                'name': "Portal Carla", 'login': 'portal_carla_targets', 'email': 'carla@customer.example.com',
                'partner_id': self.customer.id, 'group_ids': [Command.set(self.env.ref('base.group_portal').ids)]})
        return self._portal_customer

    def test_new_targets_in_the_analysis(self):
        ticket = self._at(MONDAY_9, self._create_ticket)
        self._at(datetime(2026, 3, 2, 9, 30), lambda: ticket.write({'user_id': self.agent.id}))
        rows = self.env['helpdesk.sla.report.analysis'].search([('ticket_id', '=', ticket.id)])
        self.assertEqual(set(rows.mapped('target_type')), {'assignment', 'periodic_update'})
        self.assertEqual(rows.filtered(lambda row: row.target_type == 'assignment').success_rate, 100.0)


@tagged('post_install', '-at_install')
class TestSlaPortalPromise(HelpdeskPortalCommon):
    """``show_to_customer``: the portal ticket page promises the deadline in the customer's time zone."""

    def test_promise_in_customer_time_zone(self):
        self.portal_anna.tz = 'Europe/Brussels'
        SLA = self.env['helpdesk.sla']
        shown = SLA.create({'name': "Reply in 2 h", 'team_id': self.team.id, 'target_type': 'first_response',
                            'time': 2.0, 'show_to_customer': True})
        SLA.create({'name': "Internal: solve in 8 h", 'team_id': self.team.id, 'target_type': 'resolution',
                    'stage_id': self.stage_solved.id, 'time': 8.0})
        # Monday 25 November 2030, 07:00 UTC: the UTC 9-17 desk replies by 11:00 UTC, 12:00 in Brussels
        with self.travel(datetime(2030, 11, 25, 7, 0)):
            ticket = self._create_ticket(name="Promise", partner_id=self.portal_anna.partner_id.id)
            self.env.flush_all()
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        page = self.url_open(f'/my/tickets/{ticket.id}').text
        self.assertIn("We aim to reply by Mon 25 Nov, 12:00", page)
        self.assertNotIn("Internal: solve", page)
        self.assertNotIn("resolve your request", page)
        shown.show_to_customer = False
        page = self.url_open(f'/my/tickets/{ticket.id}').text
        self.assertNotIn("ticket_sla_promises", page)
        self.assertNotIn("We aim to", page)
