from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_portal import HelpdeskPortalCommon


@tagged('post_install', '-at_install')
class TestPortalForm(HelpdeskPortalCommon):
    """The team's web form /helpdesk/<team>/submit, as visitor and as portal user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.write({'use_website_form': True, 'allow_public_form': True})
        cls.url = f'/helpdesk/{cls.team.id}/submit'

    def _form_data(self, **values):
        data = {
            'csrf_token': self._csrf(),
            'partner_name': "Victor Visitor",
            'partner_email': 'victor@visitor.example.com',
            'name': "Scanner jams on every page",
            'description': "It jams.\nEvery single page <b>always</b>.",
        }
        data.update(values)
        return data

    def _team_tickets(self):
        return self.env['helpdesk.ticket'].with_context(active_test=False).search([('team_id', '=', self.team.id)])

    def _post(self, data, files=None):
        self.env.flush_all()
        response = self.url_open(self.url, data=data, files=files)
        self.env.invalidate_all()
        return response

    def _assert_refused(self, response, message, status=400):
        self.assertEqual(response.status_code, status)
        self.assertIn(message, response.text)
        self.assertIn('o_helpdesk_form_error', response.text)

    # ------------------------------------------------------------
    # Access to the form
    # ------------------------------------------------------------

    def test_form_access(self):
        self.authenticate(None, None)
        response = self.url_open(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertIn('name="csrf_token"', response.text)
        self.assertIn('name="company_website"', response.text, "the honeypot field is there")
        self.assertNotIn('name="priority"', response.text, "the team does not let customers set a priority")

        self.team.allow_public_form = False
        response = self.url_open(self.url)
        self.assertIn('/web/login', response.url, "a form closed to visitors asks them to log in")
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        response = self.url_open(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertIn('anna@acme.example.com', response.text, "a logged-in customer's email is filled in")

    @mute_logger('odoo.http')
    def test_form_unavailable(self):
        self.authenticate(None, None)
        self.team.use_website_form = False
        self.assertFalse(self.team.allow_public_form, "no web form, nothing open to visitors")
        self.assertEqual(self.url_open(self.url).status_code, 404)
        self.team.write({'use_website_form': True, 'active': False})
        self.assertEqual(self.url_open(self.url).status_code, 404)
        self.assertEqual(self.url_open('/helpdesk/999999999/submit').status_code, 404)

    # ------------------------------------------------------------
    # Submitting
    # ------------------------------------------------------------

    def test_submit_as_visitor(self):
        self.authenticate(None, None)
        before = self._team_tickets()
        response = self._post(self._form_data(priority='3'))
        self.assertEqual(response.status_code, 200)
        ticket = self._team_tickets() - before
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.name, "Scanner jams on every page")
        self.assertNotIn("<b>", ticket.description, "plain text is escaped, never taken as HTML")
        self.assertIn("&lt;b&gt;always&lt;/b&gt;", ticket.description)
        self.assertIn("Every single page", ticket.description)
        self.assertEqual(ticket.priority, '0', "priority is ignored when the team does not offer it")
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertTrue(ticket.ticket_ref, "created by the ordinary create")
        partner = ticket.partner_id
        self.assertEqual((partner.name, partner.email), ("Victor Visitor", 'victor@visitor.example.com'))
        self.assertIn(partner, ticket.message_partner_ids, "the new contact follows the ticket")
        self.assertNotIn(self.env.ref('base.public_partner'), ticket.message_partner_ids)
        self.assertIn(ticket.ticket_ref, response.text, "the reference is shown")
        self.assertNotIn(f'/my/tickets/{ticket.id}', response.text, "a visitor gets no link to the ticket")

    def test_submit_links_existing_contact(self):
        self.authenticate(None, None)
        partners_before = self.env['res.partner'].search_count([])
        response = self._post(self._form_data(partner_name="Somebody", partner_email='Clara@ACME.example.com'))
        self.assertEqual(response.status_code, 200)
        ticket = self._team_tickets().filtered(lambda t: t.name == "Scanner jams on every page")
        self.assertEqual(ticket.partner_id, self.clara, "the email is matched whatever its case")
        self.assertEqual(self.env['res.partner'].search_count([]), partners_before)

    def test_submit_with_priority(self):
        self.team.allow_form_priority = True
        self.authenticate(None, None)
        self.assertIn('name="priority"', self.url_open(self.url).text)
        self._post(self._form_data(name="Urgent one", priority='3'))
        self._post(self._form_data(name="Bogus one", priority='9'))
        tickets = self._team_tickets()
        self.assertEqual(tickets.filtered(lambda t: t.name == "Urgent one").priority, '3')
        self.assertEqual(tickets.filtered(lambda t: t.name == "Bogus one").priority, '0')

    def test_submit_as_portal_user(self):
        self.team.allow_public_form = False
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        before = self._team_tickets()
        response = self._post(self._form_data(partner_name="Not Anna", partner_email='spoof@evil.example.com'))
        self.assertEqual(response.status_code, 200)
        ticket = self._team_tickets() - before
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.portal_anna.partner_id, "a logged-in customer submits as themself")
        self.assertEqual(ticket.create_uid, self.portal_anna)
        self.assertFalse(self.env['res.partner'].search([('email', '=', 'spoof@evil.example.com')]))
        self.assertIn(f'/my/tickets/{ticket.id}', response.text, "the customer gets a link to the ticket")
        response = self.url_open(f'/my/tickets/{ticket.id}')
        self.assertEqual(response.status_code, 200)
        self.assertIn("Scanner jams on every page", response.text)

    def test_submit_with_attachments(self):
        self.authenticate(None, None)
        files = [
            ('attachments', ('log.txt', b'printer log ' * 10, 'text/plain')),
            ('attachments', ('page.html', b'<script>alert(1)</script>', 'text/html')),
        ]
        self._post(self._form_data(), files=files)
        ticket = self._team_tickets().filtered(lambda t: t.name == "Scanner jams on every page")
        attachments = self.env['ir.attachment'].search(
            [('res_model', '=', 'helpdesk.ticket'), ('res_id', '=', ticket.id)])
        self.assertEqual(sorted(attachments.mapped('name')), ['log.txt', 'page.html'])
        self.assertEqual(attachments.filtered(lambda a: a.name == 'log.txt').raw, b'printer log ' * 10)
        self.assertEqual(attachments.filtered(lambda a: a.name == 'page.html').mimetype, 'text/plain',
                         "HTML sent by a visitor is never served as HTML")
        message = ticket.message_ids.filtered('attachment_ids')
        self.assertEqual(message.attachment_ids, attachments, "the files appear in the conversation")
        self.assertEqual(message.author_id, self.env.ref('base.partner_root'), "posted by the system (#14)")
        self.assertFalse(message.subtype_id.internal, "the customer sees their files in the portal")

    # ------------------------------------------------------------
    # Refusals: nothing is created
    # ------------------------------------------------------------

    def _assert_nothing_created(self, tickets_before, partners_before, attachments_before):
        self.assertEqual(self._team_tickets(), tickets_before)
        self.assertEqual(self.env['res.partner'].with_context(active_test=False).search_count([]), partners_before)
        self.assertEqual(self.env['ir.attachment'].search_count([('res_model', '=', 'helpdesk.ticket')]),
                         attachments_before)

    def _counts(self):
        return (self._team_tickets(),
                self.env['res.partner'].with_context(active_test=False).search_count([]),
                self.env['ir.attachment'].search_count([('res_model', '=', 'helpdesk.ticket')]))

    def test_refuse_oversized_attachment(self):
        self.env['ir.config_parameter'].set_param('helpdesk_sla.form_max_attachment_mb', '0.001')  # 1048 bytes
        self.authenticate(None, None)
        before = self._counts()
        files = [
            ('attachments', ('small.txt', b'x' * 100, 'text/plain')),
            ('attachments', ('big.bin', b'x' * 2000, 'application/octet-stream')),
        ]
        response = self._post(self._form_data(), files=files)
        self._assert_refused(response, "The file big.bin is too large")
        self.assertIn("Scanner jams on every page", response.text, "what was typed is kept")
        self._assert_nothing_created(*before)

        response = self._post(self._form_data(), files=[('attachments', ('ok.bin', b'x' * 1000, 'text/plain'))])
        self.assertEqual(response.status_code, 200, "a file under the limit passes")

    def test_refuse_missing_or_invalid_fields(self):
        self.authenticate(None, None)
        before = self._counts()
        cases = [
            ({'name': "  "}, "Please enter a subject."),
            ({'description': ""}, "Please describe your request."),
            ({'partner_name': ""}, "Please enter your name."),
            ({'partner_email': ""}, "Please enter your email address."),
            ({'partner_email': "not an email"}, "Please enter a valid email address."),
            ({'name': "x" * 201}, "The subject is too long"),
        ]
        for values, message in cases:
            with self.subTest(values=values):
                self._assert_refused(self._post(self._form_data(**values)), message)
        self._assert_nothing_created(*before)

    def test_refuse_too_many_attachments(self):
        self.authenticate(None, None)
        before = self._counts()
        files = [('attachments', (f'f{i}.txt', b'x', 'text/plain')) for i in range(11)]
        self._assert_refused(self._post(self._form_data(), files=files), "You can attach at most 10 files.")
        self._assert_nothing_created(*before)

    def test_refuse_honeypot(self):
        self.authenticate(None, None)
        before = self._counts()
        response = self._post(self._form_data(company_website='http://spam.example.com'))
        self._assert_refused(response, "Your request could not be submitted.")
        self._assert_nothing_created(*before)

    @mute_logger('odoo.http')
    def test_refuse_without_csrf_token(self):
        self.authenticate(None, None)
        before = self._counts()
        data = self._form_data()
        del data['csrf_token']
        response = self._post(data)
        self.assertEqual(response.status_code, 400)
        self._assert_nothing_created(*before)

    def test_rate_limit_per_address(self):
        self.env['ir.config_parameter'].set_param('helpdesk_sla.form_rate_limit', '2')
        self.authenticate(None, None)
        for index in range(2):
            response = self._post(self._form_data(name=f"Request {index}"))
            self.assertEqual(response.status_code, 200)
        before = self._counts()
        response = self._post(self._form_data(name="Request 3", partner_email='VICTOR@visitor.example.com'))
        self._assert_refused(response, "You have already submitted several tickets", status=429)
        self._assert_nothing_created(*before)
        response = self._post(self._form_data(name="Someone else", partner_email='walter@visitor.example.com'))
        self.assertEqual(response.status_code, 200, "other addresses are not limited")

        # tickets from other channels count too
        self._create_ticket(partner_id=self.portal_ben.partner_id.id)
        self._create_ticket(partner_id=self.portal_ben.partner_id.id)
        self.authenticate(self.portal_ben.login, self.portal_ben.login)
        response = self._post(self._form_data(name="Ben again"))
        self._assert_refused(response, "You have already submitted several tickets", status=429)
