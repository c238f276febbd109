from datetime import date, datetime, timedelta

from lxml import etree, html

from odoo import fields
from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import Form, tagged

from odoo.addons.mail.tests.common import MailCommon

from .common import HelpdeskCommon
from .common_portal import HelpdeskPortalCommon

EMAIL_NEW_REQUEST = """Return-Path: {return_path}
To: {to}
cc: {cc}
Received: by mail1.example.com (Postfix, from userid 10002)
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Date: Fri, 10 Aug 2026 14:00:00 GMT
Message-ID: {msg_id}
{extra}

The scanner jams on every page.
"""


@tagged('post_install', '-at_install')
class TestFirstHourPages(HelpdeskPortalCommon):
    """The web form and the portal list render their boxes and cells when values are empty."""

    def test_web_form_has_its_description_box_on_first_load(self):
        self.team.write({'use_website_form': True, 'allow_public_form': True})
        self.authenticate(None, None)
        response = self.url_open(f'/helpdesk/{self.team.id}/submit')
        self.assertEqual(response.status_code, 200)
        page = html.fromstring(response.content)
        self.assertEqual(len(page.xpath('//textarea[@name="description"]')), 1,
                         "a visitor can describe the request on the first load")
        # a first submission with a description goes through
        response = self.url_open(f'/helpdesk/{self.team.id}/submit', data={
            'csrf_token': self._csrf(), 'partner_name': "Victor Visitor",
            'partner_email': 'victor@visitor.example.com', 'name': "Scanner jams",
            'description': "It jams on every page."})
        self.assertIn('o_helpdesk_ticket_ref', response.text)
        self.assertNotIn('o_helpdesk_form_error', response.text)

    def test_portal_list_rows_of_unassigned_tickets_keep_their_columns(self):
        self._create_ticket(name="Anna unassigned question", partner_id=self.portal_anna.partner_id.id)
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        response = self.url_open('/my/tickets')
        self.assertEqual(response.status_code, 200)
        page = html.fromstring(response.content)
        headers = page.xpath('//table//thead/tr/th')
        rows = page.xpath('//table//tbody/tr[td]')
        self.assertEqual(len(rows), 2)
        for row in rows:
            self.assertEqual(len(row.xpath('./td')), len(headers),
                             "a row has a cell per column, even with nobody assigned")
        unassigned = next(row for row in rows if 'Anna unassigned question' in row.text_content())
        self.assertEqual(unassigned.xpath('./td')[3].text_content().strip(), "",
                         "the 'Assigned to' cell is there, empty")


class TestFirstHourSla(HelpdeskCommon):
    """SLA policies: an explicit 'Any' priority, paused by default where the team waits."""

    def test_policy_priority_any(self):
        Sla = self.env['helpdesk.sla']
        default = Sla.create({'name': "Any default", 'team_id': self.team.id, 'target_type': 'first_response',
                              'time': 4.0})
        self.assertEqual(default.priority, 'any', "a new policy applies to every priority")
        any_sla = Sla.create({'name': "Any", 'team_id': self.team.id, 'target_type': 'first_response',
                              'time': 4.0, 'priority': 'any'})
        low_sla = Sla.create({'name': "Low", 'team_id': self.team.id, 'target_type': 'first_response',
                              'time': 4.0, 'priority': '0'})
        self.assertIn(('any', "Any"), Sla._fields['priority']._description_selection(self.env))
        self.assertEqual(self.env['helpdesk.ticket']._fields['priority'].get_values(self.env),
                         ['0', '1', '2', '3'], "tickets keep their four priorities")
        low = self._create_ticket(priority='0')
        urgent = self._create_ticket(priority='3')
        self.assertEqual(low.sla_status_ids.sla_id, default | any_sla | low_sla)
        self.assertEqual(urgent.sla_status_ids.sla_id, default | any_sla, "Low means Low, not any")
        # 'Any' can be chosen back after a priority
        with Form(low_sla) as form:
            form.priority = 'any'
        self.assertEqual(low_sla.priority, 'any')

    def test_new_policy_pauses_in_the_team_waiting_stages(self):
        self.stage_waiting.is_waiting = True
        with Form(self.env['helpdesk.sla'].with_user(self.manager)) as form:
            form.name = "Respond in 2 h"
            form.team_id = self.team
            form.target_type = 'first_response'
            form.time = 2.0
            self.assertEqual(form.exclude_stage_ids[:], self.stage_waiting)
        sla = form.record
        self.assertEqual(sla.exclude_stage_ids, self.stage_waiting)
        # a team closing tickets automatically also waits in its auto-close stages
        other = self.env['helpdesk.stage'].create({'name': "Awaiting parts", 'sequence': 4,
                                                   'team_ids': [Command.link(self.team.id)]})
        self.team.write({'auto_close_ticket': True, 'from_stage_ids': [Command.set(other.ids)],
                         'to_stage_id': self.stage_solved.id})
        sla_2 = self.env['helpdesk.sla'].create({'name': "Solve in 8 h", 'team_id': self.team.id,
                                                 'stage_id': self.stage_solved.id, 'time': 8.0})
        self.assertEqual(sla_2.exclude_stage_ids, self.stage_waiting | other)
        # an explicit choice wins, and nothing is added to existing policies
        sla_3 = self.env['helpdesk.sla'].create({'name': "Never paused", 'team_id': self.team.id,
                                                 'stage_id': self.stage_solved.id, 'time': 8.0,
                                                 'exclude_stage_ids': [Command.clear()]})
        self.assertFalse(sla_3.exclude_stage_ids)
        self.assertEqual(self.env.ref('helpdesk_sla.stage_waiting').is_waiting, True,
                         "the shipped Waiting on Customer stage is a waiting stage")

    def test_solve(self):
        ticket = self._create_ticket()
        ticket.with_user(self.agent).action_solve()
        self.assertEqual(ticket.stage_id, self.stage_solved, "the team's first closing stage")
        self.assertTrue(ticket.is_closed)
        self.assertTrue(ticket.close_date)

    def test_dashboard_team_is_a_removable_facet(self):
        action = self.team.with_context(ticket_filter='urgent').action_view_tickets()
        self.assertEqual(action['context']['search_default_team_id'], self.team.id)
        self.assertNotIn(('team_id', '=', self.team.id), [tuple(leaf) for leaf in action['domain']
                                                         if isinstance(leaf, (list, tuple))])


class TestFirstHourWorkingTime(HelpdeskCommon):
    """Working hours and holidays from Helpdesk > Configuration, in the right time zone."""

    def test_menus_without_developer_mode(self):
        visible = self.env['ir.ui.menu'].with_user(self.manager)._visible_menu_ids()
        for xmlid in ('helpdesk_sla.helpdesk_working_time_menu', 'helpdesk_sla.helpdesk_calendar_leaves_menu'):
            menu = self.env.ref(xmlid)
            self.assertIn(menu.id, visible, xmlid)
            self.assertFalse(menu.group_ids & self.env.ref('base.group_no_one'))

    def test_manager_edits_calendar_and_holidays(self):
        self.manager.tz = False
        self.env.company.partner_id.tz = 'America/New_York'
        Calendar = self.env['resource.calendar'].with_user(self.manager).with_context(tz=False)
        calendar = Calendar.create({'name': "New York support hours"})
        self.assertEqual(calendar.tz, 'America/New_York', "the company's time zone, not UTC")
        self.manager.tz = 'Europe/Brussels'
        self.assertEqual(Calendar.create({'name': "Brussels hours"}).tz, 'Europe/Brussels',
                         "the user's time zone first")
        calendar.attendance_ids[:1].hour_to = 16.0
        holiday = self.env['resource.calendar.leaves'].with_user(self.manager).create({
            'name': "Thanksgiving", 'date_from': '2026-11-26 05:00:00', 'date_to': '2026-11-27 04:59:59'})
        self.assertFalse(holiday.calendar_id, "a public holiday of every calendar")
        with self.assertRaises(AccessError):
            Calendar.with_user(self.agent).create({'name': "Agents cannot"})


class TestFirstHourEmail(HelpdeskCommon, MailCommon):
    """New tickets are acknowledged with the first stage's template; the team form says when
    email cannot reach the team."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env.ref('helpdesk_sla.mail_template_ticket_received')
        cls.stage_new.template_id = cls.template
        cls.team.write({'alias_name': 'first-hour-desk', 'privacy_visibility': 'portal'})

    def test_shipped_first_stage_sends_the_acknowledgement(self):
        self.assertEqual(self.env.ref('helpdesk_sla.stage_new').template_id, self.template)
        self.assertTrue(self.team.use_acknowledgement, "on by default")

    def test_acknowledgement_to_a_known_customer(self):
        with self.mock_mail_gateway():
            ticket = self._create_ticket(name="Printer on fire")
        self.assertMailMail(self.customer, 'outgoing', fields_values={
            'subject': f"[#{ticket.ticket_ref}] We received your request: Printer on fire"})
        mail = self._new_mails.filtered(lambda mail: self.customer in mail.recipient_ids)
        self.assertIn(f"#{ticket.ticket_ref}", mail.body_html)
        self.assertIn(f"/my/tickets/{ticket.id}?access_token=", mail.body_html, "the portal link")
        self.assertTrue(ticket.access_token)

    def test_acknowledgement_switched_off_per_team(self):
        self.team.use_acknowledgement = False
        with self.mock_mail_gateway():
            self._create_ticket()
        self.assertFalse(self._new_mails)

    def test_acknowledgement_of_an_email_from_an_unknown_sender(self):
        with self.mock_mail_gateway():
            ticket = self.format_and_process(
                EMAIL_NEW_REQUEST, 'Nina New <nina@unknown.example.com>', f'first-hour-desk@{self.alias_domain}',
                subject="Scanner jams", target_model='helpdesk.ticket', target_field='name')
        self.assertEqual(len(ticket), 1)
        sent = self._new_mails.filtered(
            lambda mail: 'nina@unknown.example.com' in (mail.email_to or '')
            or 'nina@unknown.example.com' in mail.recipient_ids.mapped('email'))
        self.assertEqual(len(sent), 1, "the sender gets the acknowledgement")
        self.assertIn(ticket.ticket_ref, sent.subject)

    def test_alias_domain_warning(self):
        self.assertTrue(self.team.has_alias_domain)
        self.env.company.alias_domain_id = False
        self.team.alias_domain_id = False
        self.team.invalidate_recordset(['has_alias_domain'])
        self.assertFalse(self.team.has_alias_domain)
        arch = self.env['helpdesk.team'].with_user(self.env.ref('base.user_admin')).get_view(
            self.env.ref('helpdesk_sla.helpdesk_team_view_form').id, 'form')['arch']
        self.assertIn('o_helpdesk_alias_domain_warning', arch)
        self.assertIn(str(self.env.ref('base_setup.action_general_configuration').id), arch,
                      "the warning links to the settings")


class TestFirstHourSlaMatrix(HelpdeskCommon):
    """The SLA matrix: priorities as rows, targets as columns, hours in the cells."""

    def test_matrix_reads_and_writes_policies(self):
        Sla = self.env['helpdesk.sla']
        urgent_response = Sla.create({'name': "Urgent response", 'team_id': self.team.id, 'priority': '3',
                                      'target_type': 'first_response', 'time': 1.0})
        vip = self.env['res.partner.category'].create({'name': "VIP"})
        tiered = Sla.create({'name': "VIP response", 'team_id': self.team.id, 'priority': '3',
                             'target_type': 'first_response', 'time': 0.5,
                             'partner_category_ids': [Command.set(vip.ids)]})
        matrix_form = Form(self.env['helpdesk.sla.matrix'].with_user(self.manager).with_context(
            default_team_id=self.team.id))
        self.assertEqual(len(matrix_form.line_ids), 5, "a row per priority and one for Any")
        self.assertEqual(matrix_form.other_sla_count, 1, "the VIP policy keeps its own form")
        with matrix_form.line_ids.edit(0) as urgent:
            self.assertEqual(urgent.priority, '3')
            self.assertEqual(urgent.first_response_time, 1.0)
            urgent.first_response_time = 0.5
            urgent.resolution_time = 4.0
            urgent.time_basis = 'always'
        with matrix_form.line_ids.edit(4) as any_priority:
            self.assertEqual(any_priority.priority, 'any')
            any_priority.first_response_time = 8.0
        matrix_form.save().action_apply()
        self.assertRecordValues(urgent_response, [{'time': 0.5, 'time_basis': 'always', 'active': True}])
        resolution = Sla.search([('team_id', '=', self.team.id), ('target_type', '=', 'resolution')])
        self.assertRecordValues(resolution, [{'priority': '3', 'time': 4.0, 'time_basis': 'always',
                                              'stage_id': self.stage_solved.id}])
        any_response = Sla.search([('team_id', '=', self.team.id), ('priority', '=', 'any')])
        self.assertRecordValues(any_response, [{'target_type': 'first_response', 'time': 8.0,
                                                'time_basis': 'calendar'}])
        self.assertEqual(tiered.time, 0.5, "untouched")
        # an emptied cell archives its policy
        matrix_form = Form(self.env['helpdesk.sla.matrix'].with_context(default_team_id=self.team.id))
        with matrix_form.line_ids.edit(4) as any_priority:
            any_priority.first_response_time = 0.0
        matrix_form.save().action_apply()
        self.assertFalse(any_response.active)

    def test_policy_hours_are_not_summed_in_groups(self):
        self.assertFalse(self.env['helpdesk.sla']._fields['time'].aggregator)


class TestFirstHourReports(HelpdeskCommon):
    """Reports that teach: a first compliance report shows a period with data, counts read."""

    def test_compliance_wizard_defaults_to_a_period_with_data(self):
        Wizard = self.env['helpdesk.sla.compliance.wizard'].with_context(tz='UTC')
        with self.travel(datetime(2030, 6, 15, 10, 0)):
            self._create_ticket(name="The only ticket of June 2030")
            wizard = Wizard.create({})
        self.assertEqual((wizard.date_from, wizard.date_to), (date(2030, 6, 1), date(2030, 6, 15)),
                         "nothing last month: this month to date")
        with self.travel(datetime(2031, 1, 10, 10, 0)):
            wizard = Wizard.create({})
        self.assertEqual((wizard.date_from, wizard.date_to), (date(2030, 6, 1), date(2030, 6, 30)),
                         "nothing lately: the month of the latest ticket")
        self.assertEqual(wizard.company_id, self.env.company, "the report carries the company's header")

    def test_one_rating_is_singular(self):
        arch = self.env['helpdesk.team'].get_view(
            self.env.ref('helpdesk_sla.helpdesk_team_view_form').id, 'form')['arch']
        self.assertIn('invisible="rating_count != 1">rating<', arch.replace('&gt;', '>'))

    def test_default_pivots_read(self):
        def pivot_fields(xmlid):
            arch = etree.fromstring(self.env.ref(xmlid).arch)
            return [(node.get('name'), node.get('type')) for node in arch.iter('field')]

        self.assertEqual(pivot_fields('helpdesk_sla.helpdesk_sla_report_analysis_view_pivot'),
                         [('team_id', 'row'), ('priority', 'col'), ('success_rate', 'measure')])
        self.assertEqual(pivot_fields('helpdesk_sla.helpdesk_ticket_report_analysis_view_pivot')[:2],
                         [('team_id', 'row'), ('priority', 'col')])


@tagged('post_install', '-at_install')
class TestFirstHourDemoHistory(HelpdeskCommon):
    """The demo data has months of history: every report and the overview show something real."""

    def test_demo_history(self):
        billing = self.env.ref('helpdesk_sla.team_billing', raise_if_not_found=False)
        if not billing:
            self.skipTest("database installed without demo data")
        teams = billing | self.env.ref('helpdesk_sla.team_technical')
        now = fields.Datetime.now()
        tickets = self.env['helpdesk.ticket'].search([('team_id', 'in', teams.ids)])
        old = tickets.filtered(lambda ticket: ticket.create_date < now - timedelta(days=60))
        self.assertGreaterEqual(len(old), 15, "tickets created months ago")
        self.assertTrue(all(old.mapped('is_closed')))
        self.assertTrue(all(old.mapped('date_first_response')))
        self.assertTrue(any(old.mapped('sla_reached_late')), "some breaches")
        self.assertTrue(any(old.mapped('sla_success')), "mostly on time")
        months = {ticket.create_date.strftime('%Y-%m') for ticket in tickets}
        self.assertGreaterEqual(len(months), 4)
        ratings = self.env['rating.rating'].search([
            ('res_model', '=', 'helpdesk.ticket'), ('res_id', 'in', old.ids), ('consumed', '=', True)])
        self.assertTrue(ratings.filtered(lambda rating: rating.rating >= 4), "good ratings")
        self.assertTrue(ratings.filtered(lambda rating: rating.rating <= 2), "bad ratings")
        self.assertTrue(all(rating.create_date < now - timedelta(days=50) for rating in ratings),
                        "rated when the tickets were solved")
        # the reports see the history, in working hours
        rows = self.env['helpdesk.sla.report.analysis'].search([('ticket_id', 'in', old.ids)])
        self.assertTrue(rows.filtered(lambda row: row.exceeded_hours > 0))
        first_responses = old.filtered(lambda ticket: ticket.first_response_hours > 0)
        self.assertTrue(first_responses)
        self.assertFalse(self.env['mail.mail'].search([('res_id', 'in', old.ids), ('model', '=', 'helpdesk.ticket')]),
                         "no history email waits in the queue")
