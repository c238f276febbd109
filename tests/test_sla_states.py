from datetime import date, datetime
from unittest.mock import patch

from odoo import models
from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools import SQL

from .common import HelpdeskCommon

MONDAY_9 = datetime(2026, 3, 2, 9, 0)
NOW = datetime(2026, 3, 2, 13, 45)


@tagged('post_install', '-at_install')
class TestSlaStates(HelpdeskCommon):
    """Every figure reads the SLA states from their one definition on ``helpdesk.sla.status``:
    the ticket flags and searches, the dashboard cards, the SLA analysis and the compliance
    report agree on the same data, and move together when the definition changes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Status = cls.env['helpdesk.sla.status']
        cls.Ticket = cls.env['helpdesk.ticket']
        cls.env['helpdesk.sla'].create([{
            'name': "Respond in 2 h", 'team_id': cls.team.id, 'target_type': 'first_response',
            'time': 2.0, 'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        }, {
            'name': "Solve in 4 h", 'team_id': cls.team.id, 'target_type': 'resolution',
            'stage_id': cls.stage_solved.id, 'time': 4.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        }])

    def setUp(self):
        super().setUp()
        # Monday on 09:00-17:00: the response is due 2 working hours after creation, the
        # resolution 4 h after; both pause in "Waiting on Customer". Now is 13:45.
        self.tickets = {}
        for key, created in [('failed', MONDAY_9), ('at_risk', datetime(2026, 3, 2, 12, 0)),
                             ('paused_in_time', MONDAY_9), ('failed_then_paused', MONDAY_9),
                             ('met', MONDAY_9), ('late', MONDAY_9)]:
            with self.travel(created):
                self.tickets[key] = self._create_ticket(name=key)
                self.env.flush_all()
        self._at(datetime(2026, 3, 2, 10, 0), lambda: self.tickets['paused_in_time'].write(
            {'stage_id': self.stage_waiting.id}))
        self._at(datetime(2026, 3, 2, 12, 0), lambda: self.tickets['failed_then_paused'].write(
            {'stage_id': self.stage_waiting.id}))
        self._at(datetime(2026, 3, 2, 10, 0), lambda: self._reply(self.tickets['met']))
        self._at(datetime(2026, 3, 2, 12, 0), lambda: self.tickets['met'].write({'stage_id': self.stage_solved.id}))
        self._at(datetime(2026, 3, 2, 12, 0), lambda: self._reply(self.tickets['late']))
        self.all_tickets = self.Ticket.union(*self.tickets.values())

    def _at(self, when, action):
        with self.travel(when):
            action()
            self.env.flush_all()

    def _reply(self, ticket):
        ticket.with_user(self.agent).message_post(
            body="On it", message_type='comment', subtype_xmlid='mail.mt_comment')

    def _figures(self):
        """Each figure of the failed state, as the user sees it, at NOW."""
        self.env.invalidate_all()
        with self.travel(NOW):
            team = self.team.with_context(tz='UTC')
            sla_rows = self.env['helpdesk.sla.report.analysis'].search([('ticket_id', 'in', self.all_tickets.ids)])
            wizard = self.env['helpdesk.sla.compliance.wizard'].with_context(tz='UTC').create({
                'team_ids': [Command.set(self.team.ids)], 'date_from': date(2026, 3, 2), 'date_to': date(2026, 3, 2)})
            compliance = self.env['report.helpdesk_sla.report_sla_compliance']._get_compliance_data(wizard)
            lines = self.all_tickets.sla_status_ids
            return {
                'flag': {key for key, ticket in self.tickets.items() if ticket.sla_fail},
                'search': {key for key, ticket in self.tickets.items()
                           if ticket in self.Ticket.search([('sla_fail', '=', True), ('id', 'in', self.all_tickets.ids)])},
                'dashboard': team.sla_failed_ticket_count,
                'line_states': {line: line._state_of(line, NOW) for line in lines},
                'line_flags': lines.filtered('is_failed'),
                'line_search': self.Status.search([('is_failed', '=', True), ('id', 'in', lines.ids)]),
                'analysis_states': {row.id: row.status for row in sla_rows},
                'analysis_missed': sum(sla_rows.mapped('failed_count')),
                'compliance_failed': compliance['teams'][0]['total']['failed'],
                'compliance_met': compliance['teams'][0]['total']['met'],
            }

    def _assert_agree(self, figures, failed_keys, missed_lines):
        failed_lines = self.Status.browse(line.id for line, state in figures['line_states'].items()
                                          if state == 'failed')
        self.assertEqual(figures['flag'], failed_keys, "the ticket flag")
        self.assertEqual(figures['search'], failed_keys, "the ticket search")
        open_failed = {key for key in failed_keys if not self.tickets[key].is_closed}
        self.assertEqual(figures['dashboard'], len(open_failed), "the dashboard card")
        self.assertEqual(figures['line_flags'], failed_lines, "the line flag")
        self.assertEqual(figures['line_search'], failed_lines, "the line search")
        self.assertEqual(figures['analysis_states'], {line.id: state for line, state in figures['line_states'].items()},
                         "the SLA analysis computes each line's state like the Python definition")
        self.assertEqual(figures['analysis_missed'], missed_lines, "the SLA analysis failures")
        self.assertEqual(figures['compliance_failed'], len(failed_keys | {'late'}), "the compliance report")

    def test_every_figure_agrees(self):
        figures = self._figures()
        expected = {'failed', 'failed_then_paused', 'late'}
        self._assert_agree(figures, expected, missed_lines=5)
        self.assertEqual(figures['compliance_met'], 1)
        states = {(line.ticket_id.name, line.target_type): state for line, state in figures['line_states'].items()}
        self.assertEqual(states, {
            ('failed', 'first_response'): 'failed', ('failed', 'resolution'): 'failed',
            ('at_risk', 'first_response'): 'warning', ('at_risk', 'resolution'): 'ongoing',
            ('paused_in_time', 'first_response'): 'ongoing', ('paused_in_time', 'resolution'): 'ongoing',
            ('failed_then_paused', 'first_response'): 'failed', ('failed_then_paused', 'resolution'): 'ongoing',
            ('met', 'first_response'): 'reached', ('met', 'resolution'): 'reached',
            ('late', 'first_response'): 'reached', ('late', 'resolution'): 'failed',
        })

    def test_paused_and_at_risk_tickets(self):
        with self.travel(NOW):
            self.env.invalidate_all()
            paused = self.Ticket.search([('sla_paused', '=', True), ('id', 'in', self.all_tickets.ids)])
            at_risk = self.Ticket.search([('sla_at_risk', '=', True), ('id', 'in', self.all_tickets.ids)])
            self.assertEqual(paused, self.tickets['paused_in_time'] | self.tickets['failed_then_paused'])
            self.assertEqual(paused, self.all_tickets.filtered('sla_paused'))
            self.assertEqual(at_risk, self.tickets['at_risk'])
            self.assertEqual(at_risk, self.all_tickets.filtered('sla_at_risk'))
            self.assertEqual(self.team.sla_at_risk_ticket_count, 1)

    def test_paused_only_when_every_running_line_is_paused(self):
        """A second policy's line still runs: the ticket is not paused and shows that line's deadline."""
        ticket = self.tickets['paused_in_time']
        running = self.env['helpdesk.sla'].create({
            'name': "Solve in 8 h, never paused", 'team_id': self.team.id, 'target_type': 'resolution',
            'stage_id': self.stage_solved.id, 'time': 8.0})
        with self.travel(datetime(2026, 3, 2, 10, 30)):
            ticket.priority = '1'  # re-matches the policies: the new one starts a running line
            self.env.flush_all()
        with self.travel(NOW):
            self.env.invalidate_all()
            line = ticket.sla_status_ids.filtered(lambda line: line.sla_id == running)
            self.assertFalse(line.pause_start)
            self.assertFalse(ticket.sla_paused)
            self.assertFalse(self.Ticket.search([('sla_paused', '=', True), ('id', '=', ticket.id)]))
            self.assertEqual(ticket.sla_deadline, line.deadline)

    def test_one_definition_moves_every_figure(self):
        """Changing the definition of "failed" (here: one line exempted, as an exemption
        would) in its Python method and its SQL builder changes every figure at once."""
        exempt = self.tickets['failed_then_paused'].sla_status_ids.filtered(
            lambda line: line.target_type == 'first_response')
        Status = type(self.Status)
        fail_date_of, sql_failed = Status._fail_date_of, Status._sql_failed

        def exempted_fail_date_of(model, line):
            if isinstance(line, models.BaseModel) and line.id == exempt.id:
                return None
            return fail_date_of(model, line)

        def exempted_sql_failed(model, alias, now):
            return SQL("(%s AND %s.id != %s)", sql_failed(model, alias, now), SQL.identifier(alias), exempt.id)

        with patch.object(Status, '_fail_date_of', exempted_fail_date_of), \
                patch.object(Status, '_sql_failed', exempted_sql_failed):
            self.env.add_to_compute(self.Ticket._fields['sla_fail_date'], self.all_tickets)
            self.env.flush_all()
            figures = self._figures()
        self.assertEqual(figures['line_states'][exempt], 'warning')
        self._assert_agree(figures, {'failed', 'late'}, missed_lines=4)

    def test_exemption_moves_every_figure(self):
        """A manager's exemption goes through the same definitions: the exempt line leaves every
        failure figure (flag, search, dashboard, SLA analysis, compliance); a late line exempted
        counts as met; removing the exemptions restores the true figures."""
        exempt_failed = self.tickets['failed_then_paused'].sla_status_ids.filtered(
            lambda line: line.target_type == 'first_response')
        exempt_late = self.tickets['late'].sla_status_ids.filtered(lambda line: line.target_type == 'first_response')
        exempted = (exempt_failed | exempt_late).with_user(self.manager)
        with self.travel(NOW):
            exempted.write({'is_exempt': True, 'exempt_reason': "Customer on holiday"})
            self.env.flush_all()
        figures = self._figures()
        self.assertEqual(figures['line_states'][exempt_failed], 'ongoing', "neither failed nor at risk")
        self._assert_agree(figures, {'failed', 'late'}, missed_lines=3)
        with self.travel(NOW):
            rows = self.env['helpdesk.sla.report.analysis'].search([('id', 'in', exempted.ids)])
            self.assertEqual(rows.mapped('is_exempt'), [True, True])
            self.assertEqual(rows.browse(exempt_late.id).success_rate, 100.0)
            self.assertEqual(rows.browse(exempt_failed.id).failed_count, 0)
            self.assertFalse(rows.browse(exempt_failed.id).is_failed)
            self.assertFalse(self.tickets['late'].sla_reached_late)
        with self.travel(NOW):
            exempted.write({'is_exempt': False})
            self.env.flush_all()
        figures = self._figures()
        self._assert_agree(figures, {'failed', 'failed_then_paused', 'late'}, missed_lines=5)
        self.assertEqual(figures['line_states'][exempt_failed], 'failed')
