from datetime import date, datetime

from lxml import html

from odoo.exceptions import ValidationError
from odoo.fields import Command, Domain
from odoo.tests import tagged

from .common import HelpdeskCommon

# "Now" of the whole data set: Thursday 2026-03-05 11:45 UTC. The Support team works
# Mon–Fri 09:00–17:00 UTC; the Night Desk has no working hours (24/7).
NOW = datetime(2026, 3, 5, 11, 45)


@tagged('post_install', '-at_install')
class TestReporting(HelpdeskCommon):
    """Reports, dashboard cards and the compliance report on a hand-built data set whose
    times, breaches and ratings are known (High tickets: first response in 2 h and
    resolution in 4 h, both paused while waiting on the customer)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sla_response, cls.sla_resolution = cls.env['helpdesk.sla'].create([{
            'name': "High: respond in 2 h", 'team_id': cls.team.id, 'priority': '2',
            'target_type': 'first_response', 'time': 2.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        }, {
            'name': "High: solve in 4 h", 'team_id': cls.team.id, 'priority': '2',
            'target_type': 'resolution', 'stage_id': cls.stage_solved.id, 'time': 4.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        }])
        cls.night_desk = cls.env['helpdesk.team'].create({
            'name': "Night Desk", 'use_sla': False, 'resource_calendar_id': False,
            'member_ids': [Command.set(cls.agent.ids)],
            'stage_ids': [Command.set(cls.stages.ids)], 'privacy_visibility': 'internal',
        })
        cls.SlaReport = cls.env['helpdesk.sla.report.analysis']
        cls.TicketReport = cls.env['helpdesk.ticket.report.analysis']

    def setUp(self):
        super().setUp()
        self._build_data_set()

    # ------------------------------------------------------------
    # DATA SET
    # ------------------------------------------------------------

    def _reply(self, ticket, author):
        ticket.message_post(body="Reply", message_type='comment', subtype_xmlid='mail.mt_comment',
                            author_id=author.partner_id.id if author._name == 'res.users' else author.id)

    def _rate(self, ticket, value):
        ticket.rating_apply(value, token=ticket._rating_get_access_token())

    def _build_data_set(self):
        at, create = self._at, self._create_ticket
        # H: High, two weeks earlier; answered after 30 min, solved after 1 h, rated 4
        self.ticket_h = at(datetime(2026, 2, 20, 9, 0), lambda: create(name="H", priority='2'))
        at(datetime(2026, 2, 20, 9, 30), lambda: self._reply(self.ticket_h, self.agent))
        at(datetime(2026, 2, 20, 10, 0), lambda: self.ticket_h.write({'stage_id': self.stage_solved.id}))
        at(datetime(2026, 2, 20, 11, 0), lambda: self._rate(self.ticket_h, 4))
        # A: High, Monday 09:00; assigned 09:30, answered 10:00, solved 12:00 (all on time), rated 5
        self.ticket_a = at(datetime(2026, 3, 2, 9, 0), lambda: create(name="A", priority='2'))
        at(datetime(2026, 3, 2, 9, 30), lambda: self.ticket_a.write({'user_id': self.agent.id}))
        at(datetime(2026, 3, 2, 10, 0), lambda: self._reply(self.ticket_a, self.agent))
        at(datetime(2026, 3, 2, 12, 0), lambda: self.ticket_a.write({'stage_id': self.stage_solved.id}))
        at(datetime(2026, 3, 2, 13, 0), lambda: self._rate(self.ticket_a, 5))
        # E: Low (no SLA), by email Monday 10:00, closed 11:00 without an agent reply
        self.ticket_e = at(datetime(2026, 3, 2, 10, 0), lambda: self.env['helpdesk.ticket'].message_new(
            {'subject': "E", 'email_from': self.customer.email, 'body': "Help"},
            custom_values={'team_id': self.team.id}))
        at(datetime(2026, 3, 2, 11, 0), lambda: self.ticket_e.write({'stage_id': self.stage_solved.id}))
        # B: High, Monday 16:00, assigned at once; answered Tuesday 11:00 (3 working hours:
        # 1 h late), the customer replies at 12:00, solved 14:00 (6 working hours: 2 h late), rated 2
        self.ticket_b = at(datetime(2026, 3, 2, 16, 0), lambda: create(name="B", priority='2', user_id=self.agent.id))
        at(datetime(2026, 3, 3, 11, 0), lambda: self._reply(self.ticket_b, self.agent))
        at(datetime(2026, 3, 3, 12, 0), lambda: self._reply(self.ticket_b, self.customer))
        at(datetime(2026, 3, 3, 14, 0), lambda: self.ticket_b.write({'stage_id': self.stage_solved.id}))
        at(datetime(2026, 3, 3, 15, 0), lambda: self._rate(self.ticket_b, 2))
        # G: Urgent on the 24/7 Night Desk, Monday 20:00; answered 22:00, closed Tuesday 08:00
        self.ticket_g = at(datetime(2026, 3, 2, 20, 0), lambda: create(
            name="G", priority='3', team_id=self.night_desk.id))
        at(datetime(2026, 3, 2, 22, 0), lambda: self._reply(self.ticket_g, self.agent))
        at(datetime(2026, 3, 3, 8, 0), lambda: self.ticket_g.write({'stage_id': self.stage_solved.id}))
        # C: High, Wednesday 09:00, never answered: both deadlines (11:00, 13:00) failed
        self.ticket_c = at(datetime(2026, 3, 4, 9, 0), lambda: create(name="C", priority='2'))
        # F: High, Thursday 09:00, waiting on the customer from 09:30: paused before its deadlines
        self.ticket_f = at(datetime(2026, 3, 5, 9, 0), lambda: create(name="F", priority='2'))
        at(datetime(2026, 3, 5, 9, 30), lambda: self.ticket_f.write({'stage_id': self.stage_waiting.id}))
        # D: High, Thursday 10:00, assigned at once: first response at risk from 11:36, due 12:00
        self.ticket_d = at(datetime(2026, 3, 5, 10, 0), lambda: create(name="D", priority='2', user_id=self.agent_2.id))
        self.support_tickets = (self.ticket_h | self.ticket_a | self.ticket_e | self.ticket_b
                                | self.ticket_c | self.ticket_f | self.ticket_d)
        self.env.invalidate_all()

    def _lines(self, ticket, sla):
        return ticket.sla_status_ids.filtered(lambda line: line.sla_id == sla)

    # ------------------------------------------------------------
    # TICKET FIGURES
    # ------------------------------------------------------------

    def test_ticket_times_in_working_hours(self):
        self.assertRecordValues(
            self.ticket_h | self.ticket_a | self.ticket_b | self.ticket_e | self.ticket_g | self.ticket_c | self.ticket_d,
            [
                {'assign_hours': 0.0, 'first_response_hours': 0.5, 'close_hours': 1.0, 'is_first_contact_resolution': True},
                {'assign_hours': 0.5, 'first_response_hours': 1.0, 'close_hours': 3.0, 'is_first_contact_resolution': True},
                {'assign_hours': 0.0, 'first_response_hours': 3.0, 'close_hours': 6.0, 'is_first_contact_resolution': False},
                {'assign_hours': 0.0, 'first_response_hours': 0.0, 'close_hours': 1.0, 'is_first_contact_resolution': False},
                {'assign_hours': 0.0, 'first_response_hours': 2.0, 'close_hours': 12.0, 'is_first_contact_resolution': True},
                {'assign_hours': 0.0, 'first_response_hours': 0.0, 'close_hours': 0.0, 'is_first_contact_resolution': False},
                {'assign_hours': 0.0, 'first_response_hours': 0.0, 'close_hours': 0.0, 'is_first_contact_resolution': False},
            ])
        self.assertEqual(self.ticket_a.assign_date, datetime(2026, 3, 2, 9, 30))
        self.assertEqual(self.ticket_b.assign_date, datetime(2026, 3, 2, 16, 0), "assigned at creation")
        self.assertEqual(self._lines(self.ticket_b, self.sla_response).reached_hours, 3.0)
        self.assertEqual(self._lines(self.ticket_b, self.sla_resolution).exceeded_hours, 2.0)

    def test_reopen_clears_then_recomputes_closing_figures(self):
        ticket = self.ticket_a
        self._at(datetime(2026, 3, 2, 14, 0), lambda: ticket.write({'stage_id': self.stage_progress.id}))
        self.assertEqual((ticket.close_hours, ticket.is_first_contact_resolution), (0.0, False))
        self._at(datetime(2026, 3, 2, 15, 0), lambda: self._reply(ticket, self.customer))
        self._at(datetime(2026, 3, 3, 10, 0), lambda: ticket.write({'stage_id': self.stage_solved.id}))
        self.assertEqual(ticket.close_hours, 9.0, "Monday 09:00–17:00 and Tuesday 09:00–10:00")
        self.assertFalse(ticket.is_first_contact_resolution, "the customer wrote after the first reply")

    def test_channel(self):
        self.assertEqual(self.ticket_e.channel, 'email', "set by the mail gateway")
        self.assertEqual(self.ticket_a.channel, 'backend')
        phone = self.env['helpdesk.ticket'].with_context(default_channel='phone').create({
            'name': "Called in", 'team_id': self.team.id})
        self.assertEqual(phone.channel, 'phone')

    def test_ticket_analysis(self):
        with self.travel(NOW):
            rows = self.TicketReport._read_group(
                [('ticket_id', 'in', (self.support_tickets | self.ticket_g).ids)], ['team_id'],
                ['__count', 'assign_hours:avg', 'first_response_hours:avg', 'close_hours:avg',
                 'open_age_days:avg', 'first_contact_resolution_rate:avg', 'rating:avg'])
        figures = {team: tuple(value if value is False else round(value, 4) for value in values)
                   for team, *values in rows}
        self.assertEqual(figures, {
            # assigned: A 0.5, B 0, D 0; answered: H 0.5, A 1, B 3; closed: H 1, A 3, B 6, E 1;
            # open for 26.75 h (C), 2.75 h (F), 1.75 h (D); FCR: H and A of H, A, B, E; ratings 4, 5, 2
            self.team: (7, round(0.5 / 3, 4), 1.5, 2.75, round(31.25 / 72, 4), 50.0, round(11 / 3, 4)),
            # never assigned, nothing open, no rating: no value
            self.night_desk: (1, False, 2.0, 12.0, False, 100.0, False),
        })
        by_channel = dict(self.TicketReport._read_group(
            [('team_id', '=', self.team.id)], ['channel'], ['__count']))
        self.assertEqual(by_channel, {'backend': 6, 'email': 1})

    def test_ticket_analysis_agrees_with_tickets(self):
        tickets = self.support_tickets | self.ticket_g
        rows = {row.ticket_id: row for row in self.TicketReport.search([('ticket_id', 'in', tickets.ids)])}
        self.assertEqual(set(rows), set(tickets))
        for ticket in tickets:
            row = rows[ticket]
            self.assertEqual(
                (row.team_id, row.channel, row.stage_id, row.priority, row.user_id, row.is_closed,
                 row.close_hours, row.first_response_hours, row.is_first_contact_resolution),
                (ticket.team_id, ticket.channel, ticket.stage_id, ticket.priority, ticket.user_id, ticket.is_closed,
                 ticket.close_hours, ticket.first_response_hours, ticket.is_first_contact_resolution),
                ticket.name)

    # ------------------------------------------------------------
    # SLA ANALYSIS
    # ------------------------------------------------------------

    def test_sla_analysis_figures(self):
        with self.travel(NOW):
            [(count, rate, met, failed, late, to_target)] = self.SlaReport._read_group(
                [('team_id', '=', self.team.id)], [],
                ['__count', 'success_rate:avg', 'met_count:sum', 'failed_count:sum', 'exceeded_hours:avg',
                 'reached_hours:avg'])
            by_status = dict(self.SlaReport._read_group([('team_id', '=', self.team.id)], ['status'], ['__count']))
        # 12 lines (H, A, B, C, D, F); decided: H and A on time, B late twice, C failed twice
        self.assertEqual((count, rate, met, failed), (12, 50.0, 4, 4))
        self.assertAlmostEqual(late, 3.0 / 6, places=6, msg="reached: H 0, 0; A 0, 0; B 1, 2")
        self.assertAlmostEqual(to_target, (0.5 + 1 + 1 + 3 + 3 + 6) / 6, places=6)
        self.assertEqual(by_status, {'reached': 6, 'failed': 2, 'warning': 1, 'ongoing': 3})
        paused = self._lines(self.ticket_f, self.sla_response)
        met = self._lines(self.ticket_a, self.sla_response)
        with self.travel(NOW):
            row = self.SlaReport.browse(paused.id)
            self.assertEqual((row.status, row.is_failed), ('ongoing', False), "paused before its deadline")
            [(rate,)] = self.SlaReport._read_group([('id', 'in', (paused | met).ids)], [], ['success_rate:avg'])
        self.assertEqual(rate, 100.0, "a running line does not count in the success rate")

    def test_sla_analysis_default_views(self):
        """The shipped favorites: success rate by priority, and failed SLAs of the current week."""
        action = self.env.ref('helpdesk_sla.helpdesk_sla_report_analysis_action')
        favorites = self.env['ir.filters'].search([('action_id', '=', action.id)])
        self.assertEqual(set(favorites.mapped('name')), {"Success rate by priority", "Failed SLAs this week"})
        failed_this_week = favorites.filtered(lambda favorite: favorite.name == "Failed SLAs this week")
        with self.travel(NOW):  # the week of Monday 2026-03-02
            rows = self.SlaReport.search(Domain(failed_this_week._get_eval_domain()))
            by_priority = self.SlaReport._read_group(
                [('team_id', '=', self.team.id)], ['priority'], ['success_rate:avg'])
        self.assertEqual(rows.ticket_id, self.ticket_b | self.ticket_c, "H failed nothing, and not this week")
        self.assertEqual(len(rows), 4)
        self.assertEqual(by_priority, [('2', 50.0)])

    def test_sla_analysis_agrees_with_engine(self):
        """The SQL view's status is the engine's: after the status cron, stored statuses match,
        and failed rows are exactly the tickets the engine's ``sla_fail`` search finds."""
        lines = self.support_tickets.sla_status_ids
        with self.travel(NOW):
            self.env['helpdesk.sla.status']._cron_refresh_status()
            rows = self.SlaReport.search([('id', 'in', lines.ids)])
            self.assertEqual({row.id: row.status for row in rows}, {line.id: line.status for line in lines})
            failing = self.env['helpdesk.ticket'].search([('sla_fail', '=', True), ('id', 'in', self.support_tickets.ids)])
            self.assertEqual(rows.filtered(lambda row: row.status == 'failed').ticket_id, failing)
            self.assertEqual(failing, self.ticket_c)
            self.assertEqual(
                rows.filtered(lambda row: row.status == 'failed').ticket_id,
                self.env['helpdesk.sla.status'].search([('is_failed', '=', True), ('id', 'in', lines.ids)]).ticket_id)
        met_everywhere = {ticket for ticket in self.support_tickets if ticket.sla_status_ids
                          and all(row.met_count for row in rows if row.ticket_id == ticket)}
        self.assertEqual(met_everywhere, set(self.support_tickets.filtered('sla_success')))
        late = {row.ticket_id for row in rows if row.status == 'reached' and row.is_failed}
        self.assertEqual(late, set(self.support_tickets.filtered('sla_reached_late')))

    def test_sla_analysis_follows_tickets(self):
        """Lines follow their ticket's priority and team; archived (merged) tickets drop out."""
        self.ticket_h.priority = '1'  # reached lines stay as history, under the new priority
        self.ticket_c.action_archive()
        with self.travel(NOW):
            rows = self.SlaReport._read_group(
                [('team_id', 'in', (self.team | self.night_desk).ids)], ['team_id', 'priority'],
                ['__count', 'success_rate:avg'])
            self.team.invalidate_recordset()
            outcomes = (self.team.sla_outcome_count, self.team.sla_success_rate)
        self.assertEqual(rows, [(self.team, '1', 2, 100.0), (self.team, '2', 8, 50.0)])
        self.assertEqual(outcomes, (4, 50.0), "A on time, B late: C's failures left with it")
        self.ticket_h.team_id = self.night_desk
        self.assertEqual(self.SlaReport.search([('ticket_id', '=', self.ticket_h.id)]).team_id, self.night_desk)
        self.assertNotIn(self.ticket_c, self.TicketReport.search([]).ticket_id)

    # ------------------------------------------------------------
    # DASHBOARD
    # ------------------------------------------------------------

    def test_dashboard_cards(self):
        teams = self.team | self.night_desk
        with self.travel(NOW):
            teams.invalidate_recordset()
            with self.assertQueryCount(5):  # never one query per team
                values = [(team.open_ticket_count, team.unassigned_ticket_count, team.urgent_ticket_count,
                           team.sla_failed_ticket_count, team.sla_at_risk_ticket_count, team.sla_outcome_count,
                           round(team.sla_success_rate, 4), team.rating_count_last_7_days,
                           team.rating_avg_last_7_days) for team in teams]
        self.assertEqual(values, [
            # open C, F, D (D assigned); C failed; D at risk (F paused); decided in 7 days: A 2 on time,
            # B 2 late, C 2 failed (H's are older); ratings of A and B (H's is older)
            (3, 2, 0, 1, 1, 6, round(100 / 3, 4), 2, 3.5),
            (0, 0, 0, 0, 0, 0, 0.0, 0, 0.0),
        ])

    def test_dashboard_cards_agree_with_sla_analysis(self):
        with self.travel(NOW):
            since = datetime(2026, 2, 26, 11, 45)
            [(count, rate)] = self.SlaReport._read_group(
                Domain('team_id', '=', self.team.id) & (
                    Domain('reached_datetime', '>=', since)
                    | (Domain('status', '=', 'failed') & Domain('deadline', '>=', since))),
                [], ['__count', 'success_rate:avg'])
            self.team.invalidate_recordset()
            self.assertEqual((self.team.sla_outcome_count, self.team.sla_success_rate), (count, rate))

    def test_dashboard_cards_open_their_tickets(self):
        expected = {
            'open': self.ticket_c | self.ticket_f | self.ticket_d,
            'unassigned': self.ticket_c | self.ticket_f,
            'sla_failed': self.ticket_c,
            'sla_at_risk': self.ticket_d,
            'sla_last_7_days': self.ticket_a | self.ticket_b | self.ticket_c,
            'rated_last_7_days': self.ticket_a | self.ticket_b,
        }
        with self.travel(NOW):
            for card, tickets in expected.items():
                action = self.team.with_context(ticket_filter=card).action_view_tickets()
                domain = action['domain'] + [('team_id', '=', action['context']['search_default_team_id'])]
                self.assertEqual(self.env['helpdesk.ticket'].search(domain), tickets, card)

    # ------------------------------------------------------------
    # COMPLIANCE REPORT
    # ------------------------------------------------------------

    def _wizard(self, **values):
        return self.env['helpdesk.sla.compliance.wizard'].with_context(tz='UTC').create(dict({
            'team_ids': [Command.set((self.team | self.night_desk).ids)],
            'date_from': date(2026, 3, 2), 'date_to': date(2026, 3, 8),
        }, **values))

    def test_compliance_figures(self):
        wizard = self._wizard()
        with self.travel(NOW):
            data = self.env['report.helpdesk_sla.report_sla_compliance']._get_compliance_data(wizard)
        support, night = data['teams']
        self.assertEqual((support['name'], night['name']), ("Support", "Night Desk"))
        # created in the week: High A (met), B (late), C (failed), D, F (running); Low E; H is older
        self.assertEqual(support['rows'], [{
            'priority': '2', 'priority_label': "High", 'tickets': 5, 'met': 1, 'failed': 2,
            'compliance': 100 / 3, 'first_response_hours': 2.0, 'resolution_hours': 4.5,
            'rating_count': 2, 'rating_avg': 3.5, 'csat': 50.0,
            'rating_avg_met': 5.0, 'rating_avg_failed': 2.0,
        }, {
            'priority': '0', 'priority_label': "Low", 'tickets': 1, 'met': 0, 'failed': 0,
            'compliance': None, 'first_response_hours': None, 'resolution_hours': 1.0,
            'rating_count': 0, 'rating_avg': None, 'csat': None,
            'rating_avg_met': None, 'rating_avg_failed': None,
        }])
        self.assertEqual(support['total'], {
            'priority': False, 'priority_label': "All priorities", 'tickets': 6, 'met': 1, 'failed': 2,
            'compliance': 100 / 3, 'first_response_hours': 2.0, 'resolution_hours': 10 / 3,
            'rating_count': 2, 'rating_avg': 3.5, 'csat': 50.0,
            'rating_avg_met': 5.0, 'rating_avg_failed': 2.0,
        })
        self.assertEqual(night['rows'], [{
            'priority': '3', 'priority_label': "Urgent", 'tickets': 1, 'met': 0, 'failed': 0,
            'compliance': None, 'first_response_hours': 2.0, 'resolution_hours': 12.0,
            'rating_count': 0, 'rating_avg': None, 'csat': None,
            'rating_avg_met': None, 'rating_avg_failed': None,
        }])
        with self.travel(NOW):
            earlier = self.env['report.helpdesk_sla.report_sla_compliance']._get_compliance_data(
                self._wizard(date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)))
        self.assertEqual([(row['tickets'], row['met'], row['compliance'], row['csat'])
                          for row in earlier['teams'][0]['rows']], [(1, 1, 100.0, 100.0)], "H alone")
        self.assertEqual(earlier['teams'][1]['rows'], [])

    def test_compliance_report_renders_html(self):
        wizard = self._wizard()
        with self.travel(NOW):
            content, report_type = self.env['ir.actions.report'].with_context(tz='UTC')._render_qweb_html(
                'helpdesk_sla.action_report_sla_compliance', wizard.ids)
        self.assertEqual(report_type, 'html')
        page = html.fromstring(content)

        def cells(team, priority):
            row = page.xpath(f"//div[@data-team-id='{team.id}']//tr[@data-priority='{priority}']")
            self.assertEqual(len(row), 1, f"{team.name}, priority {priority}")
            return {td.get('name'): ' '.join(td.text_content().split()) for td in row[0].xpath('./td')
                    if td.get('name') != 'td_chart'}

        def chart(team, priority):
            return page.xpath(f"//div[@data-team-id='{team.id}']//tr[@data-priority='{priority}']"
                              "/td[@name='td_chart']/div[hasclass('o_compliance_bar')]/@data-compliance")

        self.assertEqual(cells(self.team, '2'), {
            'td_priority': "High", 'td_tickets': "5", 'td_met': "1", 'td_failed': "2", 'td_compliance': "33%",
            'td_first_response': "2.0 h", 'td_resolution': "4.5 h", 'td_csat': "50% 3.5 / 5, 2 ratings",
        })
        self.assertEqual(cells(self.team, 'all'), {
            'td_priority': "All priorities", 'td_tickets': "6", 'td_met': "1", 'td_failed': "2",
            'td_compliance': "33%", 'td_first_response': "2.0 h", 'td_resolution': "3.3 h",
            'td_csat': "50% 3.5 / 5, 2 ratings",
        })
        self.assertEqual(cells(self.night_desk, '3')['td_compliance'], "–")
        # the compliance chart: a bar per row with a compliance; the company's header
        self.assertEqual(chart(self.team, '2'), ['33'])
        self.assertEqual(chart(self.team, 'all'), ['33'])
        self.assertEqual(chart(self.night_desk, '3'), [], "no bar without a compliance")
        self.assertEqual(page.xpath("string(//div[hasclass('o_compliance_company')])"), wizard.company_id.name)
        self.assertEqual(cells(self.night_desk, '3')['td_resolution'], "12.0 h")

    def test_compliance_wizard(self):
        with self.travel(NOW):
            wizard = self.env['helpdesk.sla.compliance.wizard'].create({})
        self.assertEqual((wizard.date_from, wizard.date_to), (date(2026, 2, 1), date(2026, 2, 28)),
                         "the previous month by default")
        self.assertEqual(wizard._get_teams(), self.env['helpdesk.team'].search([]), "no team: all teams")
        wizard = wizard.with_user(self.manager)
        action = wizard.action_print()
        self.assertEqual((action['type'], action['report_name'], action['report_type']),
                         ('ir.actions.report', 'helpdesk_sla.report_sla_compliance', 'qweb-pdf'))
        self.assertEqual(wizard.action_preview()['report_type'], 'qweb-html')
        with self.assertRaises(ValidationError):
            self._wizard(date_from=date(2026, 3, 9))
