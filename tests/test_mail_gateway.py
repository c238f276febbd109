import base64
import logging
from email import message_from_string, policy

from odoo.fields import Command
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MailCommon

from .common import HelpdeskCommon

TICKET_LOGGER = 'odoo.addons.helpdesk_sla.models.helpdesk_ticket_mail'  # assertLogs with logging.INFO: Odoo renames a level 'INFO'

# Raw emails as MTAs hand them over; {placeholders} are filled by MockEmail.format().
EMAIL_MULTIPART = """Return-Path: {return_path}
From: {email_from}
To: {to}
Cc: {cc}
Subject: {subject}
Date: {date}
Message-ID: {msg_id}
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_hd_mixed"
{extra}

--=_hd_mixed
Content-Type: multipart/alternative; boundary="=_hd_alt"

--=_hd_alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

The printer on the second floor shows error E-42 since this morning.

--=_hd_alt
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>The printer on the second floor shows error <b>E-42</b> since =
this morning.</p></body></html>

--=_hd_alt--

--=_hd_mixed
Content-Type: text/plain; charset=utf-8; name="printer-log.txt"
Content-Disposition: attachment; filename="printer-log.txt"
Content-Transfer-Encoding: base64

RXJyb3IgRS00MiBhdCAwODoxNQo=
--=_hd_mixed--
"""

EMAIL_TEXT = """Return-Path: {return_path}
From: {email_from}
To: {to}
Cc: {cc}
Subject: {subject}
Date: {date}
Message-ID: {msg_id}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
{extra}

Hello, please restart the build server.
{body}
"""

EMAIL_HTML = """Return-Path: {return_path}
From: {email_from}
To: {to}
Subject: {subject}
Date: {date}
Message-ID: {msg_id}
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
{extra}

<html><body><h3>VPN down</h3><p>Nobody in the Lyon office can connect.</p><script>alert(1)</script></body></html>
"""

EMAIL_NO_SUBJECT = """From: {email_from}
To: {to}
Date: {date}
Message-ID: {msg_id}
Content-Type: text/plain; charset=utf-8

Sent from my phone without a subject.
"""

EMAIL_NO_FROM = """To: {to}
Subject: {subject}
Date: {date}
Message-ID: {msg_id}
Content-Type: text/plain; charset=utf-8

Who sent this? Nobody knows.
"""

EMAIL_LATIN1 = """From: {email_from}
To: {to}
Subject: =?iso-8859-1?q?Probl=E8me_d=27imprimante?=
Date: {date}
Message-ID: {msg_id}
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Le probl=E8me persiste apr=E8s red=E9marrage.
"""

EMAIL_UNKNOWN_CHARSET = """From: {email_from}
To: {to}
Subject: {subject}
Date: {date}
Message-ID: {msg_id}
MIME-Version: 1.0
Content-Type: text/plain; charset="x-mystery-charset"
Content-Transfer-Encoding: 8bit

Le caf\u00e9 est froid.
"""

EMAIL_BOUNCE = """From: Mail Delivery System <MAILER-DAEMON@mx.customer.example.com>
To: {to}
Subject: Undelivered Mail Returned to Sender
Date: {date}
Message-ID: {msg_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="=_hd_report"

--=_hd_report
Content-Type: text/plain; charset=utf-8

This is the mail system: your message could not be delivered.

--=_hd_report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example.com
Final-Recipient: rfc822; carla@customer.example.com
Action: failed
Status: 5.1.1

--=_hd_report--
"""


@tagged('post_install', '-at_install')
class TestMailGateway(HelpdeskCommon, MailCommon):
    """Tickets from emails to team aliases, replies, bad input and auto-replies, through
    the real mail gateway (``message_process``) on raw emails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.write({'alias_name': 'care-desk', 'allow_cc_followers': True})
        cls.support_email = f'care-desk@{cls.alias_domain}'
        cls.billing_team = cls.env['helpdesk.team'].create({
            'name': "Billing", 'alias_name': 'money-desk', 'member_ids': [Command.set(cls.agent.ids)],
            'stage_ids': [Command.set(cls.stages.ids)]})
        cls.billing_email = f'money-desk@{cls.alias_domain}'

    def _receive(self, template, subject, email_from='Carla <carla@customer.example.com>', to=None, **kwargs):
        """Run a raw email through the gateway; returns the tickets named ``subject``."""
        kwargs.setdefault('body', '')
        with self.mock_mail_gateway():
            return self.format_and_process(
                template, email_from, to or self.support_email, subject=subject,
                target_model='helpdesk.ticket', target_field='name', **kwargs)

    def _receive_raw(self, raw):
        with self.mock_mail_gateway():
            return self.env['mail.thread'].sudo().message_process(None, raw)

    def _reply_to_mail(self, mail, email_from='carla@customer.example.com', extra=''):
        """The customer answers an email the ticket sent (threaded with In-Reply-To)."""
        return self._receive(
            EMAIL_TEXT, f"Re: {mail.subject}", email_from=email_from, to=mail.reply_to,
            extra=f"In-Reply-To: {mail.message_id}\n{extra}")

    # ------------------------------------------------------------
    # ALIAS AND NEW TICKETS
    # ------------------------------------------------------------

    def test_team_alias(self):
        self.assertEqual(self.team.alias_email, self.support_email)
        alias = self.team.alias_id
        self.assertEqual(alias.alias_model_id.model, 'helpdesk.ticket')
        self.assertEqual(alias.alias_parent_model_id.model, 'helpdesk.team')
        self.assertEqual(alias.alias_parent_thread_id, self.team.id)
        self.assertIn(f"'team_id': {self.team.id}", alias.alias_defaults)
        with Form(self.env['helpdesk.team'].with_user(self.manager)) as form:
            form.name = "No email"
        self.assertFalse(form.record.alias_id)
        with Form(self.env['helpdesk.team'].with_user(self.manager)) as form:
            form.name = "Sales"
            form.alias_name = "Sales Desk"
            form.alias_contact = 'partners'
        team = form.record
        self.assertEqual(team.alias_id.alias_contact, 'partners')
        self.assertEqual(team.alias_email, f'sales-desk@{self.alias_domain}')
        self.assertIn(f"'team_id': {team.id}", team.alias_id.alias_defaults)
        with Form(team.with_user(self.manager)) as form:
            form.alias_name = "sales"
            form.allow_cc_followers = True
        self.assertEqual(team.alias_email, f'sales@{self.alias_domain}')
        self.assertTrue(team.allow_cc_followers)
        with Form(team.with_user(self.manager)) as form:
            form.alias_contact = 'followers'
        self.assertEqual(team.alias_id.alias_contact, 'followers')
        self.env['helpdesk.team'].with_user(self.manager).create({'name': "API", 'alias_contact': 'partners'})

    @mute_logger('odoo.addons.mail.models.mail_thread')
    def test_alias_known_contacts_only(self):
        """A team accepting emails from known contacts only refuses strangers (Odoo bounces
        them with a logged reason) and still takes its customers' emails."""
        self.team.alias_contact = 'partners'
        self.assertFalse(self._receive(EMAIL_TEXT, "Spam offer", email_from='spammer@elsewhere.example.com'))
        self.assertEqual(len(self._receive(EMAIL_TEXT, "Printer on fire")), 1)

    def test_new_ticket(self):
        """Subject, HTML body, attachment; the sender is an existing contact, whatever the case."""
        ticket = self._receive(
            EMAIL_MULTIPART, "Printer on fire again", email_from='"Carla" <CARLA@Customer.Example.COM>')
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertIn(self.customer, ticket.message_partner_ids)
        self.assertIn('error <b>E-42</b> since this morning', ticket.description)
        message = ticket.message_ids.filtered(lambda message: message.message_type == 'email')
        self.assertEqual(message.author_id, self.customer)
        self.assertEqual(message.attachment_ids.mapped('name'), ['printer-log.txt'])
        self.assertEqual(base64.b64decode(message.attachment_ids.datas), b"Error E-42 at 08:15\n")
        self.assertEqual(message.attachment_ids.res_id, ticket.id)
        self.assertEqual(self.env['res.partner'].search_count([('email_normalized', '=', 'carla@customer.example.com')]),
                         1, "no duplicate contact")

    def test_unknown_sender(self):
        ticket = self._receive(EMAIL_TEXT, "Build server stuck", email_from='Dana Doe <Dana.Doe@Example.org>')
        dana = self.env['res.partner'].search([('email_normalized', '=', 'dana.doe@example.org')])
        self.assertEqual(ticket.partner_id, dana, "a contact is created for an unknown sender (#15)")
        self.assertEqual(ticket.partner_name, "Dana Doe")
        self.assertIn(dana, ticket.message_partner_ids)
        self.assertIn('please restart the build server', ticket.description)
        self.assertIn('dana.doe@example.org', ticket.message_ids.mapped('email_from')[0].lower())

    def test_html_only(self):
        ticket = self._receive(EMAIL_HTML, "VPN down in Lyon")
        self.assertIn('Nobody in the Lyon office can connect.', ticket.description)
        self.assertNotIn('<script', ticket.description)

    def test_tier_priority_and_assignment(self):
        """Emailed tickets get the customer tier priority and are assigned like any other."""
        vip = self.env['res.partner.category'].create({'name': "Mail VIP"})
        self.customer.category_id = [Command.link(vip.id)]
        self.env['helpdesk.customer.tier'].create({'team_id': self.team.id, 'partner_category_id': vip.id,
                                                   'priority': '3'})
        self.team.assign_method = 'balanced'
        ticket = self._receive(EMAIL_TEXT, "Urgent: site down")
        self.assertEqual(ticket.priority, '3')
        self.assertIn(ticket.user_id, self.agent | self.agent_2)

    # ------------------------------------------------------------
    # BAD INPUT
    # ------------------------------------------------------------

    def test_no_subject(self):
        with self.mock_mail_gateway():
            ticket_id = self.env['mail.thread'].sudo().message_process(None, self.format(
                EMAIL_NO_SUBJECT, to=self.support_email, email_from='carla@customer.example.com',
                msg_id='<no-subject@customer.example.com>'))
        ticket = self.env['helpdesk.ticket'].browse(ticket_id)
        self.assertEqual(ticket.name, "No Subject")
        self.assertIn('without a subject', ticket.description)
        self.assertEqual(ticket.partner_id, self.customer)

    def test_missing_or_malformed_from(self):
        ticket = self._receive(EMAIL_NO_FROM, "Anonymous report", email_from='')
        self.assertEqual(len(ticket), 1)
        self.assertFalse(ticket.partner_id or ticket.partner_email or ticket.partner_name)
        self.assertIn('Nobody knows', ticket.description)
        # many recent tickets without customer email (phone tickets...) are no "loop" of this sender
        self.env['helpdesk.ticket'].create([{'name': f"Phone call {index}", 'team_id': self.team.id}
                                            for index in range(25)])
        ticket = self._receive(EMAIL_TEXT, "Odd sender", email_from='The Front Desk')
        self.assertEqual(len(ticket), 1)
        self.assertFalse(ticket.partner_id or ticket.partner_email)
        self.assertEqual(ticket.partner_name, "The Front Desk")

    def test_encodings(self):
        ticket_id = self._receive_raw(self.format(
            EMAIL_LATIN1, to=self.support_email, email_from='carla@customer.example.com'))
        ticket = self.env['helpdesk.ticket'].browse(ticket_id)
        self.assertEqual(ticket.name, "Problème d'imprimante")
        self.assertIn("Le problème persiste après redémarrage.", ticket.description)
        # a charset Python does not know: UTF-8 bytes, then Latin-1 bytes
        ticket = self._receive(EMAIL_UNKNOWN_CHARSET, "Unknown charset UTF-8")
        self.assertIn("Le café est froid.", ticket.description)
        raw = self.format(EMAIL_UNKNOWN_CHARSET, to=self.support_email, subject="Unknown charset Latin-1",
                          email_from='carla@customer.example.com', msg_id='<latin-1@customer.example.com>',
                          ).encode('utf-8')
        ticket_id = self._receive_raw(raw.replace("café".encode(), "café".encode('latin-1')))
        self.assertIn("Le café est froid.", self.env['helpdesk.ticket'].browse(ticket_id).description)

    def test_unknown_charset_read_before_routing(self):
        """Why the charset fallback sits on ``mail.thread`` and not on tickets: the gateway
        parses an email before it knows its route, with the generic model, so a charset
        error would refuse it before any ticket code runs. Known charsets are left alone."""
        raw = self.format(EMAIL_UNKNOWN_CHARSET, to=self.support_email, subject="Parsed first",
                          email_from='carla@customer.example.com', msg_id='<parsed@customer.example.com>')
        parsed = self.env['mail.thread'].message_parse(message_from_string(raw, policy=policy.SMTP))
        self.assertIn("Le café est froid.", parsed['body'])
        latin1 = self.format(EMAIL_LATIN1, to=self.support_email, email_from='carla@customer.example.com')
        message = message_from_string(latin1, policy=policy.SMTP)
        self.env['mail.thread'].message_parse(message)
        self.assertEqual(message.get_param('charset'), 'iso-8859-1', "a known charset is not rewritten")

    def test_huge_body(self):
        lines = "\n".join(f"{index:06d} sensor reading out of range" for index in range(40000))
        ticket = self._receive(EMAIL_TEXT, "Huge log", body=f"{lines}\nEND-OF-LOG")
        self.assertEqual(len(ticket), 1)
        self.assertGreater(len(ticket.description), 1_000_000)
        self.assertIn('END-OF-LOG', ticket.description)

    @mute_logger('odoo.addons.mail.models.mail_thread')
    def test_unknown_alias_refused(self):
        count = self.env['helpdesk.ticket'].search_count([])
        with self.assertRaises(ValueError), self.mock_mail_gateway():
            self.format_and_process(EMAIL_TEXT, 'carla@customer.example.com', f'nobody@{self.alias_domain}',
                                    subject="Lost email", target_model='helpdesk.ticket', body="")
        self.assertEqual(self.env['helpdesk.ticket'].search_count([]), count)

    def test_bounce(self):
        """A delivery failure report never becomes a ticket nor a message."""
        ticket = self._receive(EMAIL_TEXT, "Printer on fire")
        count = self.env['helpdesk.ticket'].search_count([])
        messages = len(ticket.message_ids)
        self._receive_raw(self.format(EMAIL_BOUNCE, to=f'{self.alias_bounce}@{self.alias_domain}'))
        self._receive_raw(self.format(EMAIL_BOUNCE, to=self.support_email, msg_id='<bounce-2@mx>'))
        self.assertEqual(self.env['helpdesk.ticket'].search_count([]), count)
        self.assertEqual(len(ticket.message_ids), messages)

    # ------------------------------------------------------------
    # AUTO-REPLIES
    # ------------------------------------------------------------

    def test_auto_reply_without_ticket_dropped(self):
        count = self.env['helpdesk.ticket'].search_count([])
        for index, header in enumerate(["Auto-Submitted: auto-replied", "Auto-Submitted: auto-generated",
                                        "X-Autoreply: yes", "Precedence: bulk"]):
            with self.assertLogs(TICKET_LOGGER, level=logging.INFO) as logs:
                self.assertFalse(self._receive(EMAIL_TEXT, f"Out of office {index}", extra=header,
                                               email_from='stranger@elsewhere.example.com'))
            self.assertIn("automated email", logs.output[0])
        self.assertEqual(self.env['helpdesk.ticket'].search_count([]), count)
        ticket = self._receive(EMAIL_TEXT, "A person wrote this", extra="Auto-Submitted: no")
        self.assertEqual(len(ticket), 1, "Auto-Submitted: no is a person's email")

    def test_auto_reply_onto_open_ticket(self):
        """An auto-reply of a customer goes onto their latest open ticket of the team."""
        older = self._create_ticket(name="Older")
        latest = self._create_ticket(name="Latest")
        self._create_ticket(name="Closed", stage_id=self.stage_solved.id)
        self._create_ticket(name="Other team", team_id=self.billing_team.id)
        self.assertFalse(self._receive(EMAIL_TEXT, "Automatic reply: I am away", extra="Auto-Submitted: auto-replied"))
        self.assertIn("I am away", latest.message_ids[0].subject)
        self.assertNotIn("I am away", older.message_ids.mapped('subject'))
        latest.stage_id = older.stage_id = self.stage_solved
        with self.assertLogs(TICKET_LOGGER, level=logging.INFO):
            self.assertFalse(self._receive(EMAIL_TEXT, "Automatic reply: still away",
                                           extra="Auto-Submitted: auto-replied"))
        self.assertFalse(self.env['mail.message'].search([('subject', '=', "Automatic reply: still away")]))

    def test_auto_reply_no_loop(self):
        """Agent answers, the customer's auto-responder answers back: the auto-reply lands on
        the ticket and sends nothing to the customer, so the exchange stops there."""
        ticket = self._receive(EMAIL_TEXT, "Printer on fire")
        for round_index in range(3):
            with self.mock_mail_gateway():
                ticket.with_user(self.agent).message_post(
                    body=f"Did you try turning it off? ({round_index})", message_type='comment',
                    subtype_xmlid='mail.mt_comment')
            mail = self._find_mail_mail_wrecord(ticket)
            with self.mock_mail_gateway():
                self.format_and_process(
                    EMAIL_TEXT, 'carla@customer.example.com', mail.reply_to, subject=f"Auto: {round_index}",
                    extra=f"In-Reply-To: {mail.message_id}\nAuto-Submitted: auto-replied", body="",
                    target_model='helpdesk.ticket')
                self.assertFalse(self._new_mails.filtered(lambda m: self.customer in m.recipient_ids),
                                 "nothing goes back to the customer")
            self.assertEqual(ticket.message_ids[0].subject, f"Auto: {round_index}")
        self.assertEqual(self.env['helpdesk.ticket'].search_count([('partner_id', '=', self.customer.id)]), 1)

    # ------------------------------------------------------------
    # REPLIES
    # ------------------------------------------------------------

    def test_reply_threads_onto_ticket(self):
        ticket = self._receive(EMAIL_TEXT, "Printer on fire")
        with self.mock_mail_gateway():
            ticket.with_user(self.agent).message_post(
                body="Is it still burning?", message_type='comment', subtype_xmlid='mail.mt_comment')
        mail = self._find_mail_mail_wrecord(ticket)
        self.assertIn(self.customer, mail.recipient_ids)
        self.assertIn(self.support_email, mail.reply_to, "replies come back to the team alias")
        count = self.env['helpdesk.ticket'].search_count([])
        self._reply_to_mail(mail)
        self.assertEqual(self.env['helpdesk.ticket'].search_count([]), count)
        self.assertEqual(ticket.message_ids[0].subject, f"Re: {mail.subject}")
        self.assertEqual(ticket.message_ids[0].author_id, self.customer)

    def test_reply_to_template_email(self):
        """A stage or rating email is a template sent from the ticket: replies thread too."""
        template = self.env['mail.template'].create({
            'name': "Ticket solved", 'model_id': self.env['ir.model']._get_id('helpdesk.ticket'),
            'subject': "Your ticket {{ object.ticket_ref }} is solved", 'body_html': "<p>Solved!</p>",
            'partner_to': "{{ object.partner_id.id }}"})
        ticket = self._receive(EMAIL_TEXT, "Printer on fire")
        with self.mock_mail_gateway():
            ticket.message_post_with_source(template, subtype_xmlid='mail.mt_comment')
        mail = self._find_mail_mail_wrecord(ticket)
        self.assertEqual(mail.subject, f"Your ticket {ticket.ticket_ref} is solved")
        self._reply_to_mail(mail)
        self.assertEqual(ticket.message_ids[0].subject, f"Re: {mail.subject}")

    def test_reference_in_subject(self):
        """A reply without threading headers finds its ticket by the reference in the subject,
        from its customer or a follower only; merged tickets lead to the ticket they went into."""
        ticket = self._create_ticket(name="Printer on fire")
        ref = ticket.ticket_ref
        self.assertFalse(self._receive(EMAIL_TEXT, f"Re: Printer on fire (#{ref})"))
        self.assertEqual(ticket.message_ids[0].subject, f"Re: Printer on fire (#{ref})")
        self.assertFalse(self._receive(EMAIL_TEXT, f"[#{ref}] more details", to=self.billing_email),
                         "whatever alias it reaches")
        self.assertEqual(ticket.message_ids[0].subject, f"[#{ref}] more details")
        follower = self.env['res.partner'].create({'name': "Colleague", 'email': 'colleague@customer.example.com'})
        ticket.message_subscribe(partner_ids=follower.ids)
        self.assertFalse(self._receive(EMAIL_TEXT, f"#{ref}: photo", email_from=follower.email))
        self.assertEqual(ticket.message_ids[0].author_id, follower)
        stranger = self._receive(EMAIL_TEXT, f"Re: #{ref}", email_from='mallory@elsewhere.example.com')
        self.assertEqual(len(stranger), 1, "a stranger quoting a reference gets a ticket of their own")
        target = self._create_ticket(name="Main ticket")
        ticket.with_context(active_test=False)._merge_into(target)
        self.assertFalse(self._receive(EMAIL_TEXT, f"Re: Printer on fire (#{ref}) again"))
        self.assertEqual(target.message_ids[0].subject, f"Re: Printer on fire (#{ref}) again")

    # ------------------------------------------------------------
    # CC
    # ------------------------------------------------------------

    def test_cc_followers(self):
        ticket = self._receive(
            EMAIL_MULTIPART, "Printer on fire",
            cc=f'Eve Example <eve@example.org>, "Support" <{self.support_email}>, not-an-email')
        eve = self.env['res.partner'].search([('email_normalized', '=', 'eve@example.org')])
        self.assertEqual(eve.name, "Eve Example")
        self.assertIn(eve, ticket.message_partner_ids)
        self.assertFalse(ticket.message_partner_ids.filtered(lambda p: p.email_normalized == self.support_email),
                         "our own alias never follows")
        self.assertIn('eve@example.org', ticket.email_cc)
        # a reply adding someone in CC
        self._receive(EMAIL_TEXT, f"Re: Printer on fire (#{ticket.ticket_ref})", cc='frank@example.org')
        self.assertIn('frank@example.org', ticket.message_partner_ids.mapped('email_normalized'))
        # the team does not allow it: CC kept on the ticket, no follower
        self.team.allow_cc_followers = False
        ticket = self._receive(EMAIL_TEXT, "Scanner jammed", cc='grace@example.org')
        self.assertIn('grace@example.org', ticket.email_cc)
        self.assertNotIn('grace@example.org', ticket.message_partner_ids.mapped('email_normalized'))
