from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MailCommon

from .common import HelpdeskCommon
from .common_portal import HelpdeskPortalCommon
from .test_mail_gateway import EMAIL_TEXT

MALLORY = 'mallory@evil.example.com'
CARLA = 'carla@customer.example.com'


class MailIdentityCommon(HelpdeskCommon, MailCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.write({'alias_name': 'identity-desk', 'allow_cc_followers': True})
        cls.support_email = f'identity-desk@{cls.alias_domain}'
        cls.sla_response = cls.env['helpdesk.sla'].create({
            'name': "Respond in 2 h", 'team_id': cls.team.id, 'target_type': 'first_response',
            'time': 2.0, 'time_basis': 'always'})

    def _receive(self, subject, email_from=CARLA, to=None, **kwargs):
        kwargs.setdefault('body', '')
        with self.mock_mail_gateway():
            return self.format_and_process(
                EMAIL_TEXT, email_from, to or self.support_email, subject=subject,
                target_model='helpdesk.ticket', target_field='name', **kwargs)

    def _agent_reply(self, ticket, body="Did you try turning it off?"):
        """An agent answers in the chatter; returns the email it sent (to answer to)."""
        with self.mock_mail_gateway():
            ticket.with_user(self.agent).message_post(
                body=body, message_type='comment', subtype_xmlid='mail.mt_comment')
        return self._find_mail_mail_wrecord(ticket)

    def _answer(self, mail, subject, email_from=CARLA, cc='', extra=''):
        """An email answering ``mail`` (In-Reply-To its Message-Id)."""
        return self._receive(subject, email_from=email_from, to=mail.reply_to, cc=cc,
                             extra=f"In-Reply-To: {mail.message_id}\n{extra}")

    def _follower_emails(self, ticket):
        return set(ticket.message_partner_ids.mapped('email_normalized'))


@tagged('post_install', '-at_install')
class TestMailTakeoverByCc(MailIdentityCommon):
    """#14.1: Cc'd addresses follow a ticket only when its customer, a follower or an agent
    answering the ticket's thread brings them in."""

    def test_stranger_answering_a_message_id_gains_nothing(self):
        ticket = self._receive("Printer on fire")
        mail = self._agent_reply(ticket)
        self._answer(mail, "Re: I'm in", email_from=f"Mallory <{MALLORY}>", cc=f"Mallory <{MALLORY}>")
        self.assertNotIn(MALLORY, self._follower_emails(ticket), "no follower from a stranger's Cc")
        mallory = self.env['res.partner'].search([('email_normalized', '=', MALLORY)])
        self.assertFalse(ticket.with_context(active_test=False).message_partner_ids & mallory)
        # later public replies do not reach him
        with self.mock_mail_gateway():
            ticket.with_user(self.agent).message_post(
                body="Your new password is in the safe", message_type='comment', subtype_xmlid='mail.mt_comment')
        self.assertFalse(self._new_mails.filtered(lambda mail: MALLORY in (mail.email_to or '')
                                                  or mallory & mail.recipient_ids))

    def test_stranger_answering_the_creation_message_gains_nothing(self):
        """Even the Message-Id of the customer's own email (which a forwarded copy reveals)."""
        ticket = self._receive("Scanner broken")
        creation = ticket.message_ids.filtered(lambda message: message.message_type == 'email')
        self._receive("Re: Scanner broken, me too", email_from=MALLORY, cc=MALLORY,
                      extra=f"In-Reply-To: {creation.message_id}")
        self.assertNotIn(MALLORY, self._follower_emails(ticket))

    def test_customer_follower_and_agent_bring_people_in(self):
        ticket = self._receive("Badge reader broken")
        mail = self._agent_reply(ticket)
        self._answer(mail, "Re: adding my boss", cc='boss@customer.example.com')
        self.assertIn('boss@customer.example.com', self._follower_emails(ticket), "the customer may")
        self._answer(mail, "Re: adding my deputy", email_from='boss@customer.example.com',
                     cc='deputy@customer.example.com')
        self.assertIn('deputy@customer.example.com', self._follower_emails(ticket), "a follower may")
        self._answer(mail, "Re: adding the vendor", email_from=self.agent_2.email, cc='vendor@example.org')
        self.assertIn('vendor@example.org', self._follower_emails(ticket),
                      "an agent answering the ticket's thread may")
        self._receive(f"Re: Badge reader broken (#{ticket.ticket_ref}) vendor 2", email_from=self.outsider.email,
                      cc='vendor2@example.org')
        self.assertNotIn('vendor2@example.org', self._follower_emails(ticket),
                         "an agent's address outside the thread proves nothing")


@tagged('post_install', '-at_install')
class TestMailSpoofedSender(MailIdentityCommon):
    """#14.2: identity is the real address of a single From mailbox."""

    def _assert_not_on(self, ticket, subject):
        self.assertNotIn(subject, ticket.message_ids.mapped('subject'), "never posted on the customer's ticket")
        self.assertNotIn(MALLORY, self._follower_emails(ticket))
        self.assertNotIn('friend@evil.example.com', self._follower_emails(ticket))

    def test_display_name_spoof(self):
        ticket = self._receive("Invoice question")
        for index, email_from in enumerate([f'{CARLA} <{MALLORY}>', f'"{CARLA}" <{MALLORY}>']):
            subject = f"Re: Invoice question (#{ticket.ticket_ref}) {index}"
            other = self._receive(subject, email_from=email_from, cc='friend@evil.example.com')
            self._assert_not_on(ticket, subject)
            self.assertEqual(len(other), 1, "a ticket of the real sender")
            self.assertNotEqual(other.partner_id, self.customer)
            self.assertIn(other.partner_email or other.partner_id.email_normalized, (MALLORY,))
            self.assertFalse({'friend@evil.example.com', CARLA} & self._follower_emails(other))
            message = other.message_ids.filtered(lambda message: message.message_type == 'email')
            self.assertNotEqual(message.author_id, self.customer)

    def test_several_from_addresses(self):
        ticket = self._receive("Password reset")
        subject = f"Re: Password reset (#{ticket.ticket_ref})"
        other = self._receive(subject, email_from=f'{CARLA}, {MALLORY}', cc='friend@evil.example.com')
        self._assert_not_on(ticket, subject)
        self.assertFalse(other.partner_id, "an unknown sender")
        self.assertNotIn('@', other.partner_name or '')
        self.assertFalse(other.message_partner_ids.filtered('email_normalized') - self.team.message_partner_ids)
        message = other.message_ids.filtered(lambda message: message.message_type == 'email')
        self.assertFalse(message.author_id)

    def test_spoof_answering_the_thread_is_not_posted(self):
        ticket = self._receive("VPN down")
        mail = self._agent_reply(ticket)
        for index, email_from in enumerate([f'{CARLA} <{MALLORY}>', f'{CARLA}, {MALLORY}']):
            subject = f"Re: VPN down {index}"
            self._answer(mail, subject, email_from=email_from, cc='friend@evil.example.com')
            self._assert_not_on(ticket, subject)
        # the real customer still answers
        self._answer(mail, "Re: VPN down, solved")
        self.assertEqual(ticket.message_ids[0].author_id, self.customer)


@tagged('post_install', '-at_install')
class TestMailForgedAgent(MailIdentityCommon):
    """#14.3: an agent's address in From counts as an agent reply only inside the ticket's thread."""

    def _line(self, ticket):
        return ticket.sla_status_ids.filtered(lambda line: line.sla_id == self.sla_response)

    def test_agent_address_creating_a_ticket(self):
        ticket = self._receive("Forged urgent request", email_from=f"Agent Alice <{self.agent.email}>")
        self.assertEqual(len(ticket), 1)
        self.assertFalse(ticket.date_first_response)
        self.assertFalse(self._line(ticket).reached_datetime, "the creating message is no agent reply")
        self.assertNotEqual(ticket.partner_id, self.agent.partner_id, "an agent's contact is no customer by email")

    def test_agent_address_outside_the_thread(self):
        ticket = self._receive("Disk full")
        ticket.message_subscribe(partner_ids=self.agent.partner_id.ids)  # the reference routes for followers
        self._receive(f"Re: Disk full (#{ticket.ticket_ref})", email_from=self.agent.email)
        self.assertEqual(ticket.message_ids[0].subject, f"Re: Disk full (#{ticket.ticket_ref})",
                         "the email is recorded")
        self.assertFalse(ticket.date_first_response)
        self.assertFalse(self._line(ticket).reached_datetime)

    def test_agent_answering_the_thread(self):
        ticket = self._receive("Screen broken")
        with self.mock_mail_gateway():
            ticket.message_post(body="Could an agent look?", message_type='comment',
                                subtype_xmlid='mail.mt_comment', author_id=self.customer.id,
                                partner_ids=self.agent.partner_id.ids)
        mail = self._find_mail_mail_wrecord(ticket)
        self.assertFalse(ticket.date_first_response)
        self._answer(mail, "Re: Screen broken", email_from=self.agent.email)
        self.assertEqual(ticket.message_ids[0].author_id, self.agent.partner_id)
        self.assertTrue(ticket.date_first_response, "an agent answering the ticket's own thread replies")
        self.assertTrue(self._line(ticket).reached_datetime)


@tagged('post_install', '-at_install')
class TestWebFormForgedAgent(HelpdeskPortalCommon):
    """#14.3: a visitor typing an agent's (or a portal user's) email does not become them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.write({'use_website_form': True, 'allow_public_form': True})
        cls.sla_response = cls.env['helpdesk.sla'].create({
            'name': "Respond in 2 h", 'team_id': cls.team.id, 'target_type': 'first_response',
            'time': 2.0, 'time_basis': 'always'})
        cls.url = f'/helpdesk/{cls.team.id}/submit'

    def _submit(self, email, subject):
        self.authenticate(None, None)
        self.env.flush_all()
        response = self.url_open(self.url, data={
            'csrf_token': self._csrf(), 'partner_name': "Visitor", 'partner_email': email,
            'name': subject, 'description': "Please reset everything."},
            files=[('attachments', ('log.txt', b'evidence', 'text/plain'))])
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        return self.env['helpdesk.ticket'].search([('name', '=', subject)])

    def test_visitor_typing_an_agents_email(self):
        ticket = self._submit(self.agent.email.upper(), "Forged agent request")
        self.assertEqual(len(ticket), 1)
        self.assertFalse(ticket.partner_id.user_ids, "never a user's contact")
        self.assertNotIn(self.agent.partner_id, ticket.message_ids.author_id)
        self.assertNotIn(self.agent.partner_id, ticket.message_partner_ids)
        self.assertFalse(ticket.date_first_response)
        self.assertFalse(ticket.sla_status_ids.filtered(lambda line: line.sla_id == self.sla_response).reached_datetime)
        files = ticket.message_ids.filtered(lambda message: message.attachment_ids)
        self.assertEqual(files.author_id, self.env.ref('base.partner_root'), "the form's messages are the system's")
        self.assertEqual(ticket.partner_email, self.agent.email.lower())
        self.assertEqual(self.env['res.partner'].search_count([('email_normalized', '=', self.agent.email)]), 1,
                         "no second contact with a user's email")

    def test_visitor_typing_a_portal_users_email(self):
        ticket = self._submit(self.portal_anna.email, "Forged portal request")
        self.assertNotEqual(ticket.partner_id, self.portal_anna.partner_id)
        self.assertNotIn(ticket, self.env['helpdesk.ticket'].with_user(self.portal_anna).search([]),
                         "the real owner of the address does not get a stranger's ticket in the portal")

    @mute_logger('odoo.addons.base.models.res_partner')
    def test_visitor_with_a_plain_contact(self):
        """A contact without a user account is still matched, as before."""
        ticket = self._submit(self.clara.email, "Clara's printer")
        self.assertEqual(ticket.partner_id, self.clara)

