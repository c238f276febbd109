import ast
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from lxml import html

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import Form, HttpCase, new_test_user, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import HelpdeskCommon


class RatingCommon(HelpdeskCommon, MockEmail):
    """The Support team rates its tickets: Solved sends the shipped rating request."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rating_template = cls.env.ref('helpdesk_sla.mail_template_ticket_rating_request')
        cls.stage_solved.rating_template_id = cls.rating_template
        cls.team.use_rating = True
        cls.customer_2 = cls.env['res.partner'].create({
            'name': "Customer Dan", 'email': 'dan@other.example.com'})
        cls.Rating = cls.env['rating.rating']

    def _ratings(self, tickets):
        return self.Rating.search([('res_model', '=', 'helpdesk.ticket'), ('res_id', 'in', tickets.ids)])

    def _solve(self, ticket, user=None):
        """Move the ticket to Solved as ``user`` (an agent by default), mail gateway mocked."""
        with self.mock_mail_gateway():
            ticket.with_user(user or self.agent).stage_id = self.stage_solved
        return self._new_mails.filtered(lambda mail: mail.model == ticket._name and mail.res_id == ticket.id)

    def _rating_links(self, mail):
        """The paths of the smiley links of a rating request email, by score."""
        links = {}
        for href in html.fromstring(mail.body_html).xpath('//a/@href'):
            path = urlsplit(href).path
            if path.startswith('/rate/'):
                links[int(path.rsplit('/', 1)[1])] = path
        return links

    def _low_rating_activities(self, ticket):
        return ticket.activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.env.ref('helpdesk_sla.mail_activity_type_low_rating'))


@tagged('post_install', '-at_install')
class TestRatingRequest(RatingCommon):
    """Reaching a stage sends its email template; a rating stage asks the customer for a rating."""

    def test_request_sent_on_closing_stage(self):
        ticket = self._create_ticket(user_id=self.agent.id)
        mails = self._solve(ticket)

        rating = self._ratings(ticket)
        self.assertEqual(len(rating), 1, "one pending rating carries the emailed token")
        self.assertFalse(rating.consumed)
        self.assertEqual(rating.partner_id, self.customer)
        self.assertEqual(rating.rated_partner_id, self.agent.partner_id)
        self.assertEqual(rating.helpdesk_team_id, self.team)
        self.assertEqual(len(mails), 1, "only the customer gets the request")
        mail = self.assertMailMail(self.customer, 'outgoing', author=self.agent.partner_id)
        self.assertEqual(mails, mail)
        self.assertIn(ticket.name, mail.body_html)
        self.assertIn(self.agent.name, mail.body_html)
        token = rating.access_token
        self.assertEqual(self._rating_links(mail), {
            5: f'/rate/{token}/5', 3: f'/rate/{token}/3', 1: f'/rate/{token}/1'})

    def test_request_only_for_teams_with_ratings(self):
        team_2 = self.env['helpdesk.team'].create({
            'name': "No Ratings", 'stage_ids': [Command.set(self.stages.ids)], 'use_rating': False})
        ticket = self._create_ticket(team_id=team_2.id, user_id=self.agent.id)
        self.assertFalse(self._solve(ticket))
        self.assertFalse(self._ratings(ticket))

    def test_request_only_on_rating_stage(self):
        ticket = self._create_ticket(user_id=self.agent.id)
        with self.mock_mail_gateway():
            ticket.with_user(self.agent).stage_id = self.stage_progress
            ticket.with_user(self.agent).stage_id = self.stage_cancelled
        self.assertFalse(self._new_mails)
        self.assertFalse(self._ratings(ticket))

    def test_request_needs_a_customer(self):
        ticket = self._create_ticket(partner_id=False, partner_email='nobody@example.com')
        self.assertFalse(self._solve(ticket))
        self.assertFalse(self._ratings(ticket))

    def test_request_once_per_stage_reached(self):
        ticket = self._create_ticket(user_id=self.agent.id)
        self._solve(ticket)
        with self.mock_mail_gateway():
            ticket.with_user(self.agent).write({'stage_id': self.stage_solved.id, 'priority': '2'})
        self.assertFalse(self._new_mails, "writing the same stage again sends nothing")

    def test_stage_template_sent_on_reaching_stage(self):
        template = self.env['mail.template'].create({
            'name': "We are on it",
            'model_id': self.env['ir.model']._get_id('helpdesk.ticket'),
            'subject': "We are on {{ object.name }}",
            'body_html': "<p>An agent works on your ticket now.</p>",
        })
        self.stage_progress.template_id = template
        ticket = self._create_ticket(user_id=self.agent.id)
        with self.mock_mail_gateway():
            ticket.with_user(self.agent).stage_id = self.stage_progress
        self.assertMailMail(self.customer, 'outgoing', content="An agent works on your ticket now.",
                            fields_values={'subject': f"We are on {ticket.name}"})
        self.assertEqual(len(self._new_mails), 1)

    def test_customer_closing_gets_request(self):
        """A customer closing an unassigned ticket from the portal gets the request too: they are
        not the author of the email (authors are not notified of their own messages)."""
        portal_user = new_test_user(
            self.env, login='carla_portal', groups='base.group_portal',
            partner_id=self.customer.id, name=self.customer.name, email=self.customer.email)
        ticket = self._create_ticket()
        with self.mock_mail_gateway():
            ticket.with_user(portal_user).sudo().stage_id = self.stage_solved
        mail = self.assertMailMail(self.customer, 'outgoing')
        self.assertNotEqual(mail.author_id, self.customer)
        self.assertIn(self._ratings(ticket).access_token, mail.body_html)


@tagged('post_install', '-at_install')
class TestRatingAgentWizard(RatingCommon):
    """Agents record ratings taken by phone; only closed tickets can be rated."""

    def _wizard_form(self, ticket, user=None):
        return Form(self.env['helpdesk.ticket.rate'].with_user(user or self.agent).with_context(
            default_ticket_id=ticket.id))

    def test_open_ticket_refused(self):
        ticket = self._create_ticket(user_id=self.agent.id, stage_id=self.stage_progress.id)
        form = self._wizard_form(ticket)
        form.rating = '4'
        with self.assertRaisesRegex(UserError, "Only solved or closed tickets can be rated"):
            form.save()
        self.assertFalse(self._ratings(ticket))

    def test_ticket_reopened_after_opening_wizard_refused(self):
        ticket = self._create_ticket(user_id=self.agent.id)
        self._solve(ticket)
        form = self._wizard_form(ticket)
        form.rating = '5'
        wizard = form.save()
        ticket.stage_id = self.stage_progress
        with self.assertRaisesRegex(UserError, "Only solved or closed tickets can be rated"):
            wizard.action_record_rating()
        self.assertFalse(self._ratings(ticket).filtered('consumed'))

    def test_record_rating_by_phone(self):
        ticket = self._create_ticket(user_id=self.agent.id)
        self._solve(ticket)
        emailed = self._ratings(ticket)
        form = self._wizard_form(ticket)
        form.rating = '4'
        form.feedback = "Happy with the fix, a bit slow."
        form.save().action_record_rating()

        rating = self._ratings(ticket)
        self.assertEqual(rating, emailed, "the phone rating fills the emailed one, no second rating")
        self.assertRecordValues(rating, [{
            'rating': 4.0, 'consumed': True, 'feedback': "Happy with the fix, a bit slow.",
            'partner_id': self.customer.id, 'rated_partner_id': self.agent.partner_id.id,
            'rating_text': 'top', 'satisfaction': 100.0,
        }])
        self.assertEqual(ticket.rating_last_value, 4.0)
        self.assertIn("Happy with the fix", rating.message_id.body)
        self.assertEqual(rating.message_id.subtype_id, self.env.ref('helpdesk_sla.mt_ticket_rating'))
        self.assertFalse(self._low_rating_activities(ticket))

        # a second call changes the customer's rating of the ticket
        form = self._wizard_form(ticket)
        form.rating = '2'
        form.save().action_record_rating()
        self.assertEqual(self._ratings(ticket), rating)
        self.assertEqual(rating.rating, 2.0)
        self.assertEqual(ticket.rating_last_value, 2.0)
        self.assertEqual(len(self._low_rating_activities(ticket)), 1)

    def test_record_rating_without_request(self):
        """Cancelled (closed) ticket of a team without ratings: the wizard creates the rating."""
        ticket = self._create_ticket(user_id=self.agent_2.id, stage_id=self.stage_cancelled.id)
        self.assertTrue(ticket.is_closed)
        form = self._wizard_form(ticket)
        form.rating = '5'
        form.save().action_record_rating()
        self.assertRecordValues(self._ratings(ticket), [{
            'rating': 5.0, 'consumed': True, 'partner_id': self.customer.id,
            'rated_partner_id': self.agent_2.partner_id.id, 'helpdesk_team_id': self.team.id}])


@tagged('post_install', '-at_install')
class TestRatingLowAlert(RatingCommon):
    """A low rating alerts the team: an activity for its alert user or leader, an internal note."""

    def _rate(self, ticket, value, feedback=None):
        token = ticket._rating_get_access_token()
        return ticket.rating_apply(value, token=token, feedback=feedback)

    def test_dissatisfied_alerts_team_leader(self):
        ticket = self._create_ticket(user_id=self.agent.id)
        self._solve(ticket)
        with self.mock_mail_gateway():
            self._rate(ticket, 1, feedback="Nobody read my messages.")
        activity = self._low_rating_activities(ticket)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager, "the team leader gets it")
        self.assertIn("Nobody read my messages.", activity.note)
        note = ticket.message_ids.filtered(
            lambda message: message.subtype_id == self.env.ref('mail.mt_note') and 'Low customer rating' in message.body)
        self.assertEqual(len(note), 1)
        self.assertIn("1/5", note.body)
        self.assertIn(self.customer.name, note.body)
        self.assertIn(self.manager.name, note.body)

    def test_alert_user_of_the_team(self):
        self.team.rating_alert_user_id = self.agent_2
        ticket = self._create_ticket(user_id=self.agent.id)
        self._solve(ticket)
        with self.mock_mail_gateway():
            self._rate(ticket, 2)
        self.assertEqual(self._low_rating_activities(ticket).user_id, self.agent_2)

    def test_okay_and_satisfied_do_not_alert(self):
        ticket_okay = self._create_ticket(user_id=self.agent.id)
        ticket_happy = self._create_ticket(user_id=self.agent.id)
        self._rate(ticket_okay, 3)
        self._rate(ticket_happy, 5)
        self.assertFalse(self._low_rating_activities(ticket_okay | ticket_happy))
        self.assertFalse(ticket_okay.message_ids.filtered(lambda message: 'Low customer rating' in message.body))

    def test_changed_rating_alerts_once(self):
        """A customer changing their mind back and forth alerts the team once per rating."""
        ticket = self._create_ticket(user_id=self.agent.id)
        self._solve(ticket)
        rating = self._ratings(ticket)
        with self.mock_mail_gateway():
            ticket.rating_apply(5, rating=rating)
            self.assertFalse(self._low_rating_activities(ticket))
            ticket.rating_apply(1, rating=rating)
            ticket.rating_apply(2, rating=rating)
            self.assertEqual(len(self._low_rating_activities(ticket)), 1, "still low: no second alert")
            ticket.rating_apply(5, rating=rating)
            ticket.rating_apply(1, rating=rating)
        self.assertEqual(len(self._low_rating_activities(ticket)), 1)
        self.assertEqual(len(ticket.message_ids.filtered(lambda message: 'Low customer rating' in message.body)), 1)
        self.assertEqual(len(self._ratings(ticket)), 1)

    def test_no_leader_falls_back_to_agent(self):
        self.team.leader_id = False
        ticket = self._create_ticket(user_id=self.agent.id)
        self._rate(ticket, 1)
        self.assertEqual(self._low_rating_activities(ticket).user_id, self.agent)
        self.assertTrue(ticket.message_ids.filtered(lambda message: 'Low customer rating' in message.body))


@tagged('post_install', '-at_install')
class TestRatingStats(RatingCommon):
    """Average and % satisfied per team (last 30 days), per agent and per month."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_2 = cls.env['helpdesk.team'].create({
            'name': "Second Line", 'stage_ids': [Command.set(cls.stages.ids)], 'use_rating': True,
            'member_ids': [Command.set(cls.agent_2.ids)]})

    def _rated(self, when, value, agent, team=None):
        with self.mock_datetime_and_now(when):
            ticket = self._create_ticket(user_id=agent.id, team_id=(team or self.team).id)
            ticket.rating_apply(value, token=ticket._rating_get_access_token())
            self.env.flush_all()  # write dates are stamped when written to the database
        return ticket

    def _stats(self, groupby):
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.rating_rating_action_helpdesk')
        domain = [*ast.literal_eval(action['domain']), ('res_id', 'in', self.tickets.ids)]
        return {
            key: (count, round(avg, 2), round(satisfied, 2))
            for key, count, avg, satisfied in self.Rating._read_group(
                domain, [groupby], ['__count', 'rating:avg', 'satisfaction:avg'])
        }

    def test_stats_on_known_data_set(self):
        alice, bob = self.agent, self.agent_2
        self.tickets = (
            self._rated(datetime(2025, 1, 15, 10), 5, alice)
            | self._rated(datetime(2025, 3, 10, 10), 5, alice)
            | self._rated(datetime(2025, 3, 11, 10), 4, alice)
            | self._rated(datetime(2025, 3, 12, 10), 3, bob)
            | self._rated(datetime(2025, 3, 13, 10), 1, bob)
            | self._rated(datetime(2025, 3, 20, 10), 5, bob, team=self.team_2)
        )
        # a request not answered never counts
        with self.mock_datetime_and_now(datetime(2025, 3, 21, 10)):
            pending = self._create_ticket(user_id=alice.id)
            self._solve(pending)
            self.env.flush_all()
        self.assertTrue(self._ratings(pending))
        self.tickets |= pending

        with self.mock_datetime_and_now(datetime(2025, 3, 31, 12)):
            (self.team | self.team_2).invalidate_recordset()
            # Support, last 30 days: 5, 4, 3, 1 (January's 5 is too old)
            self.assertRecordValues(self.team | self.team_2, [
                {'rating_count': 4, 'rating_avg': 3.25, 'rating_percentage_satisfaction': 50},
                {'rating_count': 1, 'rating_avg': 5.0, 'rating_percentage_satisfaction': 100},
            ])

        self.assertEqual(self._stats('rated_partner_id'), {
            alice.partner_id: (3, 4.67, 100.0),
            bob.partner_id: (3, 3.0, 33.33),
        })
        self.assertEqual(self._stats('helpdesk_team_id'), {
            self.team: (5, 3.6, 60.0),
            self.team_2: (1, 5.0, 100.0),
        })
        by_month = self._stats('rated_on:month')
        self.assertEqual(list(by_month.values()), [(1, 5.0, 100.0), (5, 3.6, 60.0)])
        self.assertEqual([month.month for month in by_month], [1, 3])

    def test_ticket_changing_team_moves_its_rating(self):
        ticket = self._create_ticket(user_id=self.agent.id)
        rating = ticket.rating_apply(5, token=ticket._rating_get_access_token())
        self.assertEqual(rating.helpdesk_team_id, self.team)
        ticket.team_id = self.team_2
        self.assertEqual(rating.helpdesk_team_id, self.team_2)
        self.assertEqual(self.team_2.rating_count, 1)
        self.assertEqual(self.team_2.rating_ids, rating, "the team lists the ratings of its tickets")
        self.assertEqual(self.team.rating_count, 0)
        self.assertFalse(self.team.rating_ids)

    def test_report_views(self):
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.rating_rating_action_helpdesk')
        search_view = self.env.ref('helpdesk_sla.rating_rating_view_search_helpdesk')
        views = self.env['rating.rating'].with_user(self.manager).get_views(
            [*action['views'], [search_view.id, 'search']], {'action_id': action['id'], 'load_filters': True})
        self.assertEqual(set(views['views']), {'list', 'pivot', 'graph', 'form', 'search'})
        team_action = self.team.with_user(self.manager).action_view_ratings()
        self.assertIn(('helpdesk_team_id', '=', self.team.id), team_action['domain'])
        self.assertEqual(
            self.env.ref('helpdesk_sla.helpdesk_rating_menu_report').action, self.env.ref(
                'helpdesk_sla.rating_rating_action_helpdesk'))


@tagged('post_install', '-at_install')
class TestRatingHttp(HttpCase, RatingCommon):
    """The customer's side, through Odoo's real /rate routes, logged out like a mail reader."""

    def setUp(self):
        super().setUp()
        self.ticket = self._create_ticket(name="Scanner jams", user_id=self.agent.id)
        mails = self._solve(self.ticket)
        self.links = self._rating_links(mails)
        self.rating = self._ratings(self.ticket)

    def _open(self, path):
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200, path)
        return response

    def _submit(self, page, feedback=None):
        """POST the rating page's form as a browser does: the checked smiley, the CSRF token, the comment."""
        form = html.fromstring(page.content).xpath('//form[contains(@action, "/submit_feedback")]')[0]
        data = {field.get('name'): field.get('value') for field in form.xpath('.//input[@type="hidden"]')}
        data['rate'] = form.xpath('.//input[@name="rate"][@checked]/@value')[0]
        data['feedback'] = feedback or ''
        return self.url_open(form.get('action'), data=data)

    def _csrf_token(self):
        page = self._open(f'/rate/{self.rating.access_token}/3')
        return html.fromstring(page.content).xpath('//input[@name="csrf_token"]/@value')[0]

    def test_logged_out_customer_rates_from_email(self):
        self.authenticate(None, None)
        page = self._open(self.links[5])
        self.assertIn(b"Feel free to share feedback", page.content)
        self.assertFalse(self.rating.consumed, "opening the link (as mail scanners do) records nothing")

        with self.mock_mail_gateway():
            response = self._submit(page, feedback="Quick and friendly, thank you!")
        self.assertEqual(response.status_code, 200)
        self.assertIn(b"Thank you for your feedback", response.content)
        self.assertRecordValues(self.rating, [{
            'consumed': True, 'rating': 5.0, 'feedback': "Quick and friendly, thank you!",
            'partner_id': self.customer.id}])
        self.assertEqual(self.ticket.rating_last_value, 5.0)
        self.assertEqual(self.team.rating_count, 1)
        self.assertEqual(self.rating.message_id.author_id, self.customer)
        self.assertIn("Quick and friendly", self.rating.message_id.body)

    def test_rating_again_changes_it(self):
        self.authenticate(None, None)
        with self.mock_mail_gateway():
            self._submit(self._open(self.links[5]))
            self.assertEqual(self.rating.rating, 5.0)
            self._submit(self._open(self.links[1]), feedback="Actually it broke again.")
        self.assertEqual(self._ratings(self.ticket), self.rating, "still one rating")
        self.assertRecordValues(self.rating, [{'rating': 1.0, 'feedback': "Actually it broke again."}])
        self.assertEqual(self.ticket.rating_last_value, 1.0)
        activity = self._low_rating_activities(self.ticket)
        self.assertEqual(activity.user_id, self.manager)
        self.assertEqual(activity.create_uid, self.env.ref('base.user_root'),
                         "the visitor of the page is not the one assigning it")

    def test_bad_token_is_404(self):
        self.authenticate(None, None)
        csrf = self._csrf_token()
        for token in (uuid.uuid4().hex, self.rating.access_token.upper(),
                      self.rating.access_token[:-1] + ('0' if self.rating.access_token[-1] != '0' else '1'),
                      str(self.ticket.id)):
            with self.subTest(token=token):
                self.assertEqual(self.url_open(f'/rate/{token}/5').status_code, 404)
                response = self.url_open(
                    f'/rate/{token}/submit_feedback', data={'csrf_token': csrf, 'rate': '1', 'feedback': "x"})
                self.assertEqual(response.status_code, 404)
        self.assertRecordValues(self.rating, [{'consumed': False, 'rating': 0.0, 'feedback': False}])

    def test_expired_token_is_404(self):
        """A token reset by the rating module, or whose ticket is gone, no longer works."""
        old_token = self.rating.access_token
        self.rating.reset()
        self.authenticate(None, None)
        self.assertEqual(self.url_open(f'/rate/{old_token}/5').status_code, 404)
        csrf = self._csrf_token()
        response = self.url_open(
            f'/rate/{old_token}/submit_feedback', data={'csrf_token': csrf, 'rate': '1'})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.rating.consumed)

        other = self._create_ticket(name="Gone", user_id=self.agent.id)
        token = other._rating_get_access_token()
        other.sudo().unlink()
        self.assertEqual(self.url_open(f'/rate/{token}/5').status_code, 404)

    def test_token_rates_only_its_own_ticket(self):
        """The token is the customer's own: neither another customer logged in nor extra
        parameters can use it for someone else's ticket."""
        other_ticket = self._create_ticket(name="Dan's ticket", partner_id=self.customer_2.id, user_id=self.agent.id)
        self._solve(other_ticket)
        other_rating = self._ratings(other_ticket)
        self.assertNotEqual(other_rating.access_token, self.rating.access_token)

        # Carla, logged in to her portal, follows Dan's link: refused, nothing recorded
        new_test_user(self.env, login='carla_portal', password='carla_portal_pw', groups='base.group_portal',
                      partner_id=self.customer.id, name=self.customer.name, email=self.customer.email)
        self.authenticate('carla_portal', 'carla_portal_pw')
        response = self._open(f'/rate/{other_rating.access_token}/1')
        self.assertIn(b"You cannot rate this", response.content)
        self.assertFalse(other_rating.consumed)

        # her own token with Dan's ticket in the parameters only rates her own ticket
        page = self._open(self.links[1])
        form = html.fromstring(page.content).xpath('//form')[0]
        with self.mock_mail_gateway():
            self.url_open(form.get('action'), data={
                'csrf_token': form.xpath('.//input[@name="csrf_token"]/@value')[0], 'rate': '1',
                'res_id': other_ticket.id, 'res_model': 'helpdesk.ticket', 'token': other_rating.access_token,
            })
        self.assertEqual(self.rating.rating, 1.0)
        self.assertRecordValues(other_rating, [{'consumed': False, 'rating': 0.0}])
        self.assertFalse(self._low_rating_activities(other_ticket))
