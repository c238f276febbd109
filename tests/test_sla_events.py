from datetime import datetime
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import HelpdeskCommon

MONDAY_9 = datetime(2026, 3, 2, 9, 0)


@tagged('post_install', '-at_install')
class TestSlaEvents(HelpdeskCommon):
    """Every change of an SLA line's clock writes one audit-trail event, set-based."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.env['helpdesk.sla.event']
        cls.response = cls.env['helpdesk.sla'].create({
            'name': "Respond in 2 h", 'team_id': cls.team.id, 'target_type': 'first_response', 'time': 2.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        })
        cls.urgent = cls.env['helpdesk.sla'].create({
            'name': "Urgent: solve in 4 h", 'team_id': cls.team.id, 'target_type': 'resolution',
            'stage_id': cls.stage_solved.id, 'time': 4.0, 'priority': '3',
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        })
        cls.reason = cls.env['helpdesk.sla.breach.reason'].create({'name': "Customer unreachable"})

    def _at(self, when, action):
        with self.travel(when):
            result = action()
            self.env.flush_all()
            self.env.invalidate_all()
            return result

    def _events(self, line):
        return [(event.event_type, event.date, event.deadline)
                for event in self.Event.search([('status_id', '=', line.id)], order='date, id')]

    def test_start_pause_resume_reach(self):
        ticket = self._at(MONDAY_9, self._create_ticket)
        line = ticket.sla_status_ids
        self.assertEqual(self._events(line), [('start', MONDAY_9, datetime(2026, 3, 2, 11, 0))])
        self._at(datetime(2026, 3, 2, 10, 0), lambda: ticket.write({'stage_id': self.stage_waiting.id}))
        self._at(datetime(2026, 3, 2, 11, 0), lambda: ticket.write({'stage_id': self.stage_progress.id}))
        self._at(datetime(2026, 3, 2, 11, 30), lambda: ticket.with_user(self.agent).message_post(
            body="On it", message_type='comment', subtype_xmlid='mail.mt_comment'))
        self.assertEqual(self._events(line), [
            ('start', MONDAY_9, datetime(2026, 3, 2, 11, 0)),
            ('pause', datetime(2026, 3, 2, 10, 0), datetime(2026, 3, 2, 11, 0)),
            ('resume', datetime(2026, 3, 2, 11, 0), datetime(2026, 3, 2, 12, 0)),
            ('reach', datetime(2026, 3, 2, 11, 30), datetime(2026, 3, 2, 12, 0)),
        ])
        resume = line.event_ids.filtered(lambda event: event.event_type == 'resume')
        self.assertEqual(resume.stage_id, self.stage_waiting)
        self.assertEqual(resume.previous_deadline, datetime(2026, 3, 2, 11, 0))
        self.assertEqual(resume.with_context(tz='UTC').description,
                         "Paused Mon 2 Mar 10:00–Mon 2 Mar 11:00 in Waiting on Customer, "
                         "deadline moved to Mon 2 Mar 12:00")
        self.assertEqual(ticket.sla_event_ids, line.event_ids, "the ticket's SLA tab shows the line's timeline")

    def _count_queries(self, action):
        """Number of SQL statements on the SLA tables (lines and events) while ``action`` runs."""
        self.env.flush_all()
        self.env.invalidate_all()
        cr = self.env.cr
        execute, statements = cr.execute, []

        def logging_execute(query, params=None, log_exceptions=True):
            statements.append(str(query.code if hasattr(query, 'code') else query))
            return execute(query, params, log_exceptions)

        with patch.object(cr, 'execute', logging_execute):
            action()
            self.env.flush_all()
        return len([sql for sql in statements if 'helpdesk_sla_event' in sql or 'helpdesk_sla_status' in sql])

    def test_events_set_based(self):
        """A batch of tickets writes its lines and events in the same statements for 5 or 20
        tickets (no query per line), at creation and on a stage move (pause)."""
        def create(count):
            return self.env['helpdesk.ticket'].create([{
                'name': f"Batch {n}", 'team_id': self.team.id, 'partner_id': self.customer.id}
                for n in range(count)])

        made = []
        with self.travel(MONDAY_9):
            create(2)
            queries_small = self._count_queries(lambda: made.append(create(5)))
            queries_large = self._count_queries(lambda: made.append(create(20)))
        small, large = made
        self.assertEqual(queries_small, queries_large, "creation: no query per line")
        self.assertEqual(self.Event.search_count([('ticket_id', 'in', large.ids), ('event_type', '=', 'start')]), 20)
        with self.travel(datetime(2026, 3, 2, 10, 0)):
            moves_small = self._count_queries(lambda: small.write({'stage_id': self.stage_waiting.id}))
            moves_large = self._count_queries(lambda: large.write({'stage_id': self.stage_waiting.id}))
        self.assertEqual(moves_small, moves_large, "pauses: no query per line")
        self.assertEqual(self.Event.search_count([('ticket_id', 'in', large.ids), ('event_type', '=', 'pause')]), 20)

    def test_breach_dated_at_deadline_by_the_status_cron(self):
        ticket = self._at(MONDAY_9, self._create_ticket)
        line = ticket.sla_status_ids
        self._at(datetime(2026, 3, 2, 15, 0), self.env['helpdesk.sla.status']._cron_refresh_status)
        self.assertEqual(line.status, 'failed')
        breach = line.event_ids.filtered(lambda event: event.event_type == 'breach')
        self.assertEqual(breach.date, datetime(2026, 3, 2, 11, 0), "dated at the deadline, not at the cron run")
        self._at(datetime(2026, 3, 2, 16, 0), self.env['helpdesk.sla.status']._cron_refresh_status)
        self.assertEqual(len(line.event_ids.filtered(lambda event: event.event_type == 'breach')), 1,
                         "one breach per deadline, whatever the number of cron runs")

    def test_drop_and_rematch_continue_the_line(self):
        """Issue #15 item 7: a policy that matches again continues its earlier line (same start,
        pauses, escalations held), with 'drop' events; the time while dropped is held like a pause."""
        ticket = self._at(MONDAY_9, lambda: self._create_ticket(priority='3'))
        urgent = ticket.sla_status_ids.filtered(lambda line: line.sla_id == self.urgent)
        self.assertEqual(urgent.deadline, datetime(2026, 3, 2, 13, 0))
        self._at(datetime(2026, 3, 2, 10, 0), lambda: ticket.write({'priority': '1'}))
        self.assertNotIn(urgent, ticket.sla_status_ids, "a dropped line leaves the ticket's figures")
        self.assertFalse(urgent.active)
        self.assertFalse(self.env['helpdesk.sla.status'].search([('id', '=', urgent.id), ('is_failed', '=', True)]))
        self._at(datetime(2026, 3, 2, 11, 0), lambda: ticket.write({'priority': '3'}))
        revived = ticket.sla_status_ids.filtered(lambda line: line.sla_id == self.urgent)
        self.assertEqual(revived, urgent, "the same line continues")
        self.assertEqual(revived.start_date, MONDAY_9)
        self.assertEqual(revived.deadline, datetime(2026, 3, 2, 14, 0), "the hour while dropped was held")
        self.assertEqual([event.event_type for event in revived.event_ids.sorted(lambda e: (e.date, e.id))],
                         ['start', 'drop', 'resume', 'drop'])
        self.assertEqual(revived.event_ids.filtered(lambda e: e.detail == 'rematch').date, datetime(2026, 3, 2, 11, 0))
        self.assertEqual(len(self.env['helpdesk.sla.status'].with_context(active_test=False).search(
            [('ticket_id', '=', ticket.id), ('sla_id', '=', self.urgent.id)])), 1)

    def test_exemption_by_managers_only(self):
        ticket = self._at(MONDAY_9, self._create_ticket)
        line = ticket.sla_status_ids
        with self.travel(datetime(2026, 3, 2, 15, 0)):
            self.assertTrue(ticket.sla_fail)
            with self.assertRaises(AccessError):
                line.with_user(self.agent).write({'is_exempt': True})
            with self.assertRaises(AccessError):
                line.with_user(self.agent).write({'deadline': datetime(2026, 3, 9)})
            line.with_user(self.manager).write({'is_exempt': True, 'exempt_reason': "Customer asked to wait"})
            self.env.flush_all()
            self.env.invalidate_all()
            self.assertFalse(ticket.sla_fail)
            exempt = line.event_ids.filtered(lambda event: event.event_type == 'exempt')
            self.assertEqual(exempt.user_id, self.manager)
            self.assertEqual(exempt.note, "Customer asked to wait")
            line.with_user(self.manager).write({'is_exempt': False})
            self.env.flush_all()
            self.env.invalidate_all()
            self.assertTrue(ticket.sla_fail, "removing the exemption restores the true status")
            self.assertEqual(line.status, 'failed')
            self.assertEqual(line.event_ids.filtered(lambda event: event.detail == 'undo').user_id, self.manager)

    def test_breach_reason_on_failed_lines_only(self):
        ticket = self._at(MONDAY_9, self._create_ticket)
        line = ticket.sla_status_ids
        with self.travel(datetime(2026, 3, 2, 10, 0)), self.assertRaises(UserError):
            line.with_user(self.agent).write({'breach_reason_id': self.reason.id})
        with self.travel(datetime(2026, 3, 2, 15, 0)):
            line.with_user(self.agent).write({'breach_reason_id': self.reason.id, 'breach_note': "No answer"})
            self.env.flush_all()
            row = self.env['helpdesk.sla.report.analysis'].search([('ticket_id', '=', ticket.id)])
            self.assertEqual(row.breach_reason_id, self.reason)
            groups = self.env['helpdesk.sla.report.analysis']._read_group(
                [('ticket_id', '=', ticket.id)], ['breach_reason_id', 'team_id'], ['failed_count:sum'])
            self.assertEqual(groups, [(self.reason, self.team, 1)])

    def test_agents_see_events_of_tickets_they_see(self):
        private = self.env['helpdesk.team'].create({
            'name': "Private", 'privacy_visibility': 'invited_internal', 'stage_ids': [Command.set(self.stages.ids)],
            'resource_calendar_id': self.calendar.id, 'member_ids': [Command.set(self.agent.ids)]})
        self.env['helpdesk.sla'].create({'name': "Private 1 h", 'team_id': private.id, 'time': 1.0,
                                         'target_type': 'first_response'})
        ticket = self._at(MONDAY_9, lambda: self._create_ticket(team_id=private.id))
        self.assertTrue(self.Event.with_user(self.agent).search([('ticket_id', '=', ticket.id)]))
        self.assertFalse(self.Event.with_user(self.outsider).search([('ticket_id', '=', ticket.id)]))
        self.assertTrue(self.Event.with_user(self.manager).search([('ticket_id', '=', ticket.id)]))

    def test_rematch_keeps_the_escalation_ladder(self):
        """Issue #15 item 7: flipping the priority away and back does not fire level 1 again."""
        rule = self.env['helpdesk.escalation.rule'].create({
            'name': "Level 1 at half time", 'level': 1, 'team_ids': [Command.link(self.team.id)],
            'sla_ids': [Command.link(self.urgent.id)], 'trigger_type': 'consumed_pct', 'trigger_value': 50,
            'mark_escalated': True})
        Status = self.env['helpdesk.sla.status']
        ticket = self._at(MONDAY_9, lambda: self._create_ticket(priority='3'))
        urgent = ticket.sla_status_ids.filtered(lambda line: line.sla_id == self.urgent)
        self._at(datetime(2026, 3, 2, 11, 30), lambda: Status._escalate_due(datetime(2026, 3, 2, 11, 30)))
        self.assertEqual(urgent.escalation_log_ids.rule_id, rule)
        self._at(datetime(2026, 3, 2, 12, 0), lambda: ticket.write({'priority': '1'}))
        self.assertFalse(urgent.escalation_due_date, "a dropped line is not escalated")
        self._at(datetime(2026, 3, 2, 12, 30), lambda: ticket.write({'priority': '3'}))
        self._at(datetime(2026, 3, 2, 16, 0), lambda: Status._escalate_due(datetime(2026, 3, 2, 16, 0)))
        self.assertEqual(len(urgent.escalation_log_ids), 1, "level 1 fired once")
        self.assertEqual(len(ticket.escalation_log_ids), 1)


@tagged('post_install', '-at_install')
class TestSlaAuditDemo(HelpdeskCommon):
    """The demo data shows the audit trail: events, a breach with its reason, an exemption."""

    def test_demo_audit_trail(self):
        breached = self.env.ref('helpdesk_sla.ticket_billing_01', raise_if_not_found=False)
        if not breached:
            self.skipTest("database installed without demo data")
        line = breached.sla_status_ids.filtered(lambda line: line.target_type == 'first_response')
        self.assertTrue(line.breach_reason_id)
        self.assertEqual(line.event_ids.filtered(lambda event: event.event_type == 'breach').date, line.deadline)
        exempt = self.env.ref('helpdesk_sla.ticket_billing_02').sla_status_ids.filtered('is_exempt')
        self.assertTrue(exempt.event_ids.filtered(lambda event: event.event_type == 'exempt'))
        waited = self.env.ref('helpdesk_sla.ticket_billing_02').sla_event_ids
        self.assertTrue({'start', 'pause', 'resume'} <= set(waited.mapped('event_type')))
