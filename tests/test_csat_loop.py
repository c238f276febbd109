import re
from datetime import date, datetime, timedelta

from lxml import html

from odoo import fields
from odoo.fields import Command
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import html2plaintext

from .test_rating import RatingCommon


class CsatCommon(RatingCommon):
    """Support rates its tickets; customers may tick reasons for a low score."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Reason = cls.env['helpdesk.rating.reason']
        cls.reason_slow, cls.reason_unsolved, cls.reason_archived = Reason.create([
            {'name': "Too slow", 'sequence': 1},
            {'name': "Not solved", 'sequence': 2},
            {'name': "Rude", 'sequence': 3, 'active': False},
        ])
        cls.reasons = cls.reason_slow | cls.reason_unsolved | cls.reason_archived

    def _low_notes(self, ticket):
        return ticket.message_ids.filtered(lambda message: 'Low customer rating' in (message.body or ''))


@tagged('post_install', '-at_install')
class TestCsatRatingPage(HttpCase, CsatCommon):
    """The customer's side through the real /rate routes, logged out like a mail reader."""

    def setUp(self):
        super().setUp()
        self.ticket = self._create_ticket(name="Scanner jams", user_id=self.agent.id)
        mails = self._solve(self.ticket)
        self.links = self._rating_links(mails)
        self.rating = self._ratings(self.ticket)
        # the request went out an hour ago (stamps are in seconds: keep events apart)
        self.rating.helpdesk_request_date = fields.Datetime.now() - timedelta(hours=1)
        self.authenticate(None, None)

    def _page(self, path):
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200, path)
        return response

    def _post(self, rate, feedback='', reason_ids=(), token=None):
        """POST the rating form as a browser does, ``reason_ids`` repeated once per ticked box."""
        token = token or self.rating.access_token
        page = self._page(f'/rate/{token}/5')
        csrf = html.fromstring(page.content).xpath('//input[@name="csrf_token"]/@value')[0]
        data = [('csrf_token', csrf), ('rate', str(rate)), ('feedback', feedback)]
        data += [('reason_ids', str(reason_id)) for reason_id in reason_ids]
        with self.mock_mail_gateway():
            return self.url_open(f'/rate/{token}/submit_feedback', data=data)

    def _text(self, response):
        return ' '.join(html2plaintext(response.text).split())

    # page and thanks

    def test_page_names_the_ticket_and_thanks_only_once_saved(self):
        page = self._page(self.links[5])
        text = self._text(page)
        self.assertIn("How did we do?", text)
        self.assertIn(f"#{self.ticket.ticket_ref}", text)
        self.assertIn("Scanner jams", text)
        self.assertIn("Agent Alice", text)
        self.assertNotIn("Thank you", text, "nothing is saved yet: no thanks")
        form = html.fromstring(page.content).xpath('//form[contains(@action, "/submit_feedback")]')[0]
        self.assertEqual(form.xpath('.//input[@name="rate"][@checked]/@value'), ['5'])
        self.assertTrue(all(radio.get('required') for radio in form.xpath('.//input[@name="rate"]')))
        self.assertFalse(self.rating.consumed)

        # a GET of the submit URL (a scanner, a reload) saves nothing and thanks for nothing
        response = self._page(f'/rate/{self.rating.access_token}/submit_feedback')
        self.assertNotIn("Thank you", self._text(response))
        self.assertTrue(html.fromstring(response.content).xpath('//form[contains(@action, "/submit_feedback")]'))
        self.assertFalse(self.rating.consumed)

        response = self._post(5, feedback="Great")
        self.assertEqual(response.status_code, 200)
        text = self._text(response)
        self.assertIn("Thank you for your feedback", text)
        self.assertIn("is saved", text)
        self.assertRecordValues(self.rating, [{'consumed': True, 'rating': 5.0, 'feedback': "Great"}])

    def test_back_goes_to_the_ticket_or_the_company_website(self):
        self.env.company.website = False
        response = self._post(5)
        back = html.fromstring(response.content).xpath('//a[hasclass("o_helpdesk_rating_back")]')[0]
        self.assertEqual(back.text_content().split(), ["Back", "to", "the", "Homepage"],
                         "an internal team and a company without website: the home page")

        self.env.company.website = 'https://www.example.com'
        response = self._post(5)
        back = html.fromstring(response.content).xpath('//a[hasclass("o_helpdesk_rating_back")]')[0]
        self.assertEqual(back.get('href'), 'https://www.example.com')
        self.assertIn("Back to our website", back.text_content())

        self.team.privacy_visibility = 'portal'
        response = self._post(5)
        back = html.fromstring(response.content).xpath('//a[hasclass("o_helpdesk_rating_back")]')[0]
        self.assertIn("Back to your ticket", back.text_content())
        self.assertEqual(back.get('href'), self.ticket.get_portal_url())
        # the logged-out customer can follow it: the token opens their ticket
        ticket_page = self._page(back.get('href'))
        self.assertIn("Scanner jams", ticket_page.text)

    # expiry

    def test_expired_link_records_nothing(self):
        self.team.rating_validity_days = 30
        self.rating.helpdesk_request_date = fields.Datetime.now() - timedelta(days=31)
        page = self._page(self.links[1])
        self.assertIn("This survey has expired", self._text(page))
        self.assertFalse(html.fromstring(page.content).xpath('//form'))
        response = self._post_direct(1, "Too late?")
        self.assertEqual(response.status_code, 200)
        self.assertIn("This survey has expired", self._text(response))
        self.assertRecordValues(self.rating, [{'consumed': False, 'rating': 0.0, 'feedback': False}])
        self.assertFalse(self._low_notes(self.ticket))

        # 29 days is still in time; 0 days means forever
        self.rating.helpdesk_request_date = fields.Datetime.now() - timedelta(days=29)
        self.assertNotIn("expired", self._text(self._page(self.links[1])))
        self.team.rating_validity_days = 0
        self.rating.helpdesk_request_date = fields.Datetime.now() - timedelta(days=400)
        self._post(3)
        self.assertRecordValues(self.rating, [{'consumed': True, 'rating': 3.0}])

    def test_resent_request_restarts_validity(self):
        """A request sent again (same token, unanswered) is valid from the new sending."""
        self.team.rating_validity_days = 30
        self.rating.helpdesk_request_date = fields.Datetime.now() - timedelta(days=60)
        self.ticket.stage_id = self.stage_progress
        self._solve(self.ticket)
        self.assertEqual(self._ratings(self.ticket), self.rating, "the unanswered token is sent again")
        self.assertGreater(self.rating.helpdesk_request_date, fields.Datetime.now() - timedelta(minutes=5))

    def _post_direct(self, rate, feedback=''):
        """POST without opening a page first (the page may show no form): CSRF from a valid rating."""
        other = self._create_ticket(name="Other", user_id=self.agent.id)
        self._solve(other)
        page = self._page(f'/rate/{self._ratings(other).access_token}/5')
        csrf = html.fromstring(page.content).xpath('//input[@name="csrf_token"]/@value')[0]
        with self.mock_mail_gateway():
            return self.url_open(f'/rate/{self.rating.access_token}/submit_feedback',
                                 data={'csrf_token': csrf, 'rate': str(rate), 'feedback': feedback})

    # reasons

    def test_reasons_of_a_low_score(self):
        page = self._page(self.links[1])
        boxes = html.fromstring(page.content).xpath('//input[@type="checkbox"][@name="reason_ids"]')
        offered = [int(box.get('value')) for box in boxes]
        self.assertEqual([reason_id for reason_id in offered if reason_id in self.reasons.ids],
                         (self.reason_slow | self.reason_unsolved).ids, "active reasons, in their order")
        self.assertIn("Too slow", page.text)
        self.assertNotIn("Rude", page.text)

        response = self._post(1, feedback="Took a week.", reason_ids=[
            self.reason_slow.id, self.reason_unsolved.id, self.reason_archived.id, 999999])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.rating.helpdesk_reason_ids, self.reason_slow | self.reason_unsolved,
                         "archived and unknown ids are ignored")
        self.assertIn("Reasons: Too slow, Not solved", self.rating.message_id.body)
        note = self._low_notes(self.ticket)
        self.assertEqual(len(note), 1)
        self.assertIn("Reasons: Too slow, Not solved", note.body)

        # reported: low ratings by reason and team
        groups = self.Rating._read_group(
            [('id', '=', self.rating.id)], ['helpdesk_reason_ids', 'helpdesk_team_id'], ['__count'])
        self.assertEqual(sorted((reason.name, team, count) for reason, team, count in groups),
                         [("Not solved", self.team, 1), ("Too slow", self.team, 1)])
        search_view = self.env.ref('helpdesk_sla.rating_rating_view_search_helpdesk')
        arch = self.Rating.get_views([[search_view.id, 'search']])['views']['search']['arch']
        self.assertIn('name="group_reason"', arch)

        # a good score keeps no reason, even if some were posted
        self._post(5, reason_ids=[self.reason_slow.id])
        self.assertFalse(self.rating.helpdesk_reason_ids)
        self.assertNotIn("Reasons", self.rating.message_id.body)

    # reopen

    def test_low_rating_reopens_the_ticket(self):
        self.team.reopen_on_low_rating = True
        self.ticket.date_first_response = fields.Datetime.now() - timedelta(hours=2)
        next_response = self.env['helpdesk.sla'].create({
            'name': "Answer again in 2 h", 'team_id': self.team.id, 'target_type': 'next_response', 'time': 2.0,
            'time_basis': 'always'})
        response = self._post(1, feedback="Still broken.")
        self.assertIn("Thank you for your feedback", self._text(response))
        self.assertEqual(self.ticket.stage_id, self.stage_new, "back to the team's first open stage")
        self.assertFalse(self.ticket.is_closed)
        window = self.ticket.sla_status_ids.filtered(lambda line: line.sla_id == next_response)
        self.assertEqual(len(window), 1, "a next-response window is open")
        self.assertFalse(window.reached_datetime)
        note = self.ticket.message_ids.filtered(lambda message: 'reopened after a low customer rating' in (message.body or ''))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.partner_ids, self.agent.partner_id, "the agent is told")
        self.assertIn(self.agent.partner_id, note.notification_ids.res_partner_id)

        # the link of the reopened ticket records nothing more
        page = self._page(self.links[5])
        self.assertIn("Your ticket is being worked on again", self._text(page))
        self._post_direct(5)
        self.assertEqual(self.rating.rating, 1.0)

    def test_no_reopen_when_team_does_not_ask(self):
        self._post(1)
        self.assertEqual(self.ticket.stage_id, self.stage_solved)
        self.assertEqual(self.rating.rating, 1.0)

    def test_ticket_reopened_after_the_link_was_sent(self):
        self.ticket.with_user(self.agent).stage_id = self.stage_progress
        page = self._page(self.links[5])
        self.assertIn("Your ticket is being worked on again", self._text(page))
        self.assertFalse(html.fromstring(page.content).xpath('//form'))
        response = self._post_direct(1, "Whatever")
        self.assertIn("being worked on again", self._text(response))
        self.assertRecordValues(self.rating, [{'consumed': False, 'rating': 0.0}])
        self.assertFalse(self._low_notes(self.ticket))
        self.assertFalse(self._low_rating_activities(self.ticket))

    # flips

    def test_flips_alert_once(self):
        for value in (5, 1, 5, 1):
            self._post(value)
        self.assertEqual(self.rating.rating, 1.0)
        self.assertEqual(len(self._ratings(self.ticket)), 1)
        self.assertEqual(len(self._low_rating_activities(self.ticket)), 1)
        self.assertEqual(len(self._low_notes(self.ticket)), 1)
        self.assertTrue(self.rating.helpdesk_alert_date)

    # values out of the scale

    def test_values_out_of_scale_are_404(self):
        for rate in (0, 6, 10, 99):
            with self.subTest(rate=rate):
                self.assertEqual(self.url_open(f'/rate/{self.rating.access_token}/{rate}').status_code, 404)
        self.assertEqual(self.url_open(f'/rate/{self.rating.access_token}/-1').status_code, 404)
        for rate in ('0', '6', 'abc', ''):
            with self.subTest(posted=rate):
                response = self._post(rate)
                self.assertEqual(response.status_code, 404)
        self.assertRecordValues(self.rating, [{'consumed': False, 'rating': 0.0}])
        # inside the scale, a value without a face opens the page with no face chosen
        page = self._page(f'/rate/{self.rating.access_token}/2')
        self.assertFalse(html.fromstring(page.content).xpath('//input[@name="rate"][@checked]'))

    def test_other_models_keep_odoo_behaviour(self):
        """Only ticket ratings take our page: a partner rating still gets Odoo's own."""
        partner_rating = self.env['rating.rating'].create({
            'res_model_id': self.env['ir.model']._get_id('res.partner'), 'res_id': self.customer.id,
            'partner_id': self.customer.id})
        page = self._page(f'/rate/{partner_rating.access_token}/5')
        self.assertIn("Thank you for rating our services!", page.text)


@tagged('post_install', '-at_install')
class TestCsatRatingPageBrowser(HttpCase, CsatCommon):
    """In a real browser: the reasons show only while the low face is chosen, and submit."""

    def test_reasons_follow_the_chosen_face(self):
        ticket = self._create_ticket(name="Scanner jams", user_id=self.agent.id)
        links = self._rating_links(self._solve(ticket))
        rating = self._ratings(ticket)
        rating.helpdesk_request_date = fields.Datetime.now() - timedelta(hours=1)
        code = """
            const reasons = document.querySelector('.o_helpdesk_rating_reasons');
            const visible = () => getComputedStyle(reasons).display !== 'none';
            if (visible()) { console.error('reasons shown for a happy face'); }
            document.querySelector('#rate_1').click();
            if (!visible()) {
                console.error('reasons hidden for the unhappy face, checked: '
                              + document.querySelector('input[name="rate"]:checked').value);
            }
            document.querySelector('#reason_%s').click();
            document.querySelector('#rate_3').click();
            if (visible()) { console.error('reasons shown for a neutral face'); }
            document.querySelector('#rate_1').click();
            document.querySelector('textarea[name="feedback"]').value = 'Slow';
            // post what the browser would submit (with fetch, so this script stays on the page)
            const form = document.querySelector('.o_helpdesk_rating_form');
            if (!form.checkValidity()) { console.error('the form does not validate'); }
            fetch(form.action, {method: 'POST', body: new FormData(form)}).then(r => r.text()).then(text => {
                if (text.includes('o_helpdesk_rating_saved')) {
                    console.log('test successful');
                } else {
                    console.error('no thanks after submitting');
                }
            });
        """ % self.reason_slow.id
        self.browser_js(links[5], code, ready="document.readyState === 'complete'", login=None)
        self.assertRecordValues(rating, [{'consumed': True, 'rating': 1.0, 'feedback': "Slow"}])
        self.assertEqual(rating.helpdesk_reason_ids, self.reason_slow)


@tagged('post_install', '-at_install')
class TestCsatFollowUp(CsatCommon):
    """The low-rating follow-up goes to the alert user, else the leader, else the ticket's
    agent, else the helpdesk managers: never to nobody."""

    def _rate_low(self, ticket):
        self._solve(ticket)
        with self.mock_mail_gateway():
            ticket.rating_apply(1, token=ticket._rating_get_access_token())
        return self._low_rating_activities(ticket)

    def test_alert_user_first(self):
        self.team.rating_alert_user_id = self.agent_2
        activity = self._rate_low(self._create_ticket(user_id=self.agent.id))
        self.assertEqual(activity.user_id, self.agent_2)

    def test_leader_without_alert_user(self):
        activity = self._rate_low(self._create_ticket(user_id=self.agent.id))
        self.assertEqual(activity.user_id, self.manager)

    def test_archived_alert_user_skipped(self):
        self.team.rating_alert_user_id = self.agent_2
        self.agent_2.active = False
        activity = self._rate_low(self._create_ticket(user_id=self.agent.id))
        self.assertEqual(activity.user_id, self.manager)

    def test_agent_without_leader(self):
        self.team.leader_id = False
        ticket = self._create_ticket(user_id=self.agent.id)
        activity = self._rate_low(ticket)
        self.assertEqual(activity.user_id, self.agent)
        self.assertIn("assigned to Agent Alice", self._low_notes(ticket).body)

    def test_managers_when_nobody_else(self):
        self.team.leader_id = False
        ticket = self._create_ticket()
        activities = self._rate_low(ticket)
        managers = self.env.ref('helpdesk_sla.group_helpdesk_manager').all_user_ids.filtered(
            lambda user: user.active and not user.share)
        self.assertIn(self.manager, managers)
        self.assertEqual(activities.user_id, managers, "each helpdesk manager gets one")
        self.assertEqual(len(activities), len(managers))
        self.assertIn(self.manager.name, self._low_notes(ticket).body)

    def test_managers_of_the_ticket_company_only(self):
        self.team.leader_id = False
        other_company = self.env['res.company'].create({'name': "Elsewhere"})
        self.manager.write({'company_ids': [Command.set(other_company.ids)], 'company_id': other_company.id})
        activities = self._rate_low(self._create_ticket())
        self.assertTrue(activities)
        self.assertNotIn(self.manager, activities.user_id)

    def test_phone_rating_says_who_recorded_it(self):
        ticket = self._create_ticket(user_id=self.agent.id)
        self._solve(ticket)
        form = Form(self.env['helpdesk.ticket.rate'].with_user(self.agent).with_context(default_ticket_id=ticket.id))
        form.rating = '2'
        form.feedback = "Called to complain."
        self.assertEqual(form.source, 'phone')
        form.save().action_record_rating()
        rating = self._ratings(ticket)
        self.assertIn("Recorded by Agent Alice, by phone.", rating.message_id.body)
        self.assertIn("Called to complain.", rating.message_id.body)

        form = Form(self.env['helpdesk.ticket.rate'].with_user(self.agent_2).with_context(default_ticket_id=ticket.id))
        form.rating = '4'
        form.source = 'chat'
        form.save().action_record_rating()
        self.assertIn("Recorded by Agent Bob, by chat.", rating.message_id.body)
        self.assertNotIn("Agent Alice", rating.message_id.body, "the message shows the last recording")


@tagged('post_install', '-at_install')
class TestCsatEmail(CsatCommon):
    """The rating request: short, three one-click faces, the ticket's reference and subject,
    the agent's name."""

    def test_rating_email_renders(self):
        ticket = self._create_ticket(name="Scanner jams", user_id=self.agent.id)
        rendered = self.rating_template._render_field('body_html', ticket.ids)[ticket.id]
        text = html2plaintext(rendered)
        words = re.findall(r"[\w'#/]+", re.sub(r"\[\d+\]|\n\[\d+\].*", "", text))
        self.assertLess(len(words), 100, text)
        self.assertIn("Scanner jams", text)
        self.assertIn(f"#{ticket.ticket_ref}", text)
        self.assertIn("Agent Alice", text)
        token = ticket._rating_get_access_token()
        hrefs = html.fromstring(rendered).xpath('//a/@href')
        self.assertEqual(sorted(href.split(f'/rate/{token}/')[1] for href in hrefs if f'/rate/{token}/' in href),
                         ['1', '3', '5'])
        subject = self.rating_template._render_field('subject', ticket.ids)[ticket.id]
        self.assertIn("Scanner jams", subject)


@tagged('post_install', '-at_install')
class TestCsatBySlaOutcome(CsatCommon):
    """"Average rating when the SLA was met vs failed, per team": the analysis pivot, the team
    card and the compliance report give the same figure on known data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env['helpdesk.sla'].create({
            'name': "High: solve in 4 h", 'team_id': cls.team.id, 'priority': '2',
            'target_type': 'resolution', 'stage_id': cls.stage_solved.id, 'time': 4.0})
        cls.team_2 = cls.env['helpdesk.team'].create({
            'name': "Second Line", 'stage_ids': [Command.set(cls.stages.ids)], 'use_rating': True,
            'resource_calendar_id': cls.calendar.id, 'member_ids': [Command.set(cls.agent_2.ids)]})
        cls.env['helpdesk.sla'].create({
            'name': "Solve in 4 h", 'team_id': cls.team_2.id, 'target_type': 'resolution',
            'stage_id': cls.stage_solved.id, 'time': 4.0})

    def _ticket(self, created, solved, value, priority='2', team=None):
        with self.travel(created):
            ticket = self._create_ticket(priority=priority, team_id=(team or self.team).id, user_id=self.agent.id)
            self.env.flush_all()
        with self.travel(solved):
            ticket.stage_id = self.stage_solved
            self.env.flush_all()
        with self.travel(solved + timedelta(hours=1)), self.mock_mail_gateway():
            ticket.rating_apply(value, token=ticket._rating_get_access_token())
            self.env.flush_all()
        return ticket

    def test_rating_by_sla_outcome(self):
        monday = datetime(2026, 3, 2, 9, 0)
        tickets = (
            self._ticket(monday, monday + timedelta(hours=1), 5)                  # met
            | self._ticket(monday, monday + timedelta(hours=2), 4)                # met
            | self._ticket(monday, monday + timedelta(days=1, hours=3), 1)        # late: failed
            | self._ticket(monday, monday + timedelta(days=1, hours=4), 2)        # late: failed
            | self._ticket(monday, monday + timedelta(hours=1), 3, priority='0')  # no SLA: left out
            | self._ticket(monday, monday + timedelta(hours=1), 3, team=self.team_2)
        )
        self.assertEqual(tickets.mapped('sla_success'), [True, True, False, False, False, True])
        # the pivot: rating by team and SLA met, with the action's default filters
        action = self.env['ir.actions.act_window']._for_xml_id(
            'helpdesk_sla.helpdesk_ticket_report_analysis_action_rating_sla')
        self.assertIn("'search_default_with_sla': 1", action['context'])
        report = self.env['helpdesk.ticket.report.analysis']
        rows = report._read_group(
            [('id', 'in', tickets.ids), ('sla_status', '!=', False), ('rating', '!=', False)],
            ['team_id', 'sla_success'], ['rating:avg', '__count'])
        self.assertEqual(sorted((team.name, met, avg, count) for team, met, avg, count in rows), [
            ("Second Line", True, 3.0, 1),
            ("Support", False, 1.5, 2),
            ("Support", True, 4.5, 2),
        ])

        # the team card (tickets closed in the last 30 days)
        with self.travel(datetime(2026, 3, 6, 12, 0)):
            (self.team | self.team_2).invalidate_recordset()
            self.assertRecordValues(self.team | self.team_2, [
                {'rating_avg_sla_met': 4.5, 'rating_sla_met_count': 2,
                 'rating_avg_sla_failed': 1.5, 'rating_sla_failed_count': 2},
                {'rating_avg_sla_met': 3.0, 'rating_sla_met_count': 1,
                 'rating_avg_sla_failed': 0.0, 'rating_sla_failed_count': 0},
            ])
        with self.travel(datetime(2026, 4, 30, 12, 0)):
            self.team.invalidate_recordset()
            self.assertEqual(self.team.rating_sla_met_count, 0, "closed more than 30 days ago")

        # the compliance report
        wizard = self.env['helpdesk.sla.compliance.wizard'].with_context(tz='UTC').create({
            'team_ids': [Command.set((self.team | self.team_2).ids)],
            'date_from': date(2026, 3, 2), 'date_to': date(2026, 3, 8)})
        with self.travel(datetime(2026, 3, 6, 12, 0)):
            Report = self.env['report.helpdesk_sla.report_sla_compliance']
            data = Report._get_compliance_data(wizard)
            support, second = data['teams']
            self.assertEqual((support['total']['rating_avg_met'], support['total']['rating_avg_failed']), (4.5, 1.5))
            self.assertEqual((second['total']['rating_avg_met'], second['total']['rating_avg_failed']), (3.0, None))
            html_report = self.env['ir.actions.report']._render_qweb_html(
                'helpdesk_sla.action_report_sla_compliance', wizard.ids)[0].decode()
        self.assertIn("Average rating when the SLA was met", html_report)
        self.assertRegex(' '.join(html2plaintext(html_report).split()),
                         r"met: 4\.5 / 5 ?; when it failed: 1\.5 / 5")
