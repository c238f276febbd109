from datetime import datetime

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MailCommon

from .common import HelpdeskCommon
from .test_mail_gateway import EMAIL_TEXT

MONDAY = datetime(2026, 3, 2, 9, 0)  # the test calendar works Mon–Fri 09:00–17:00 UTC
CLOSED_TEXT = "This ticket was closed automatically"
REMINDER_TEXT = "We are waiting for your answer on this ticket"


@tagged('post_install', '-at_install')
class TestAutoClose(HelpdeskCommon, MailCommon):
    """Tickets waiting on the customer: reminded, then closed N days after their last stage
    change; a customer reply sends them back to work and their SLA clock resumes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env['helpdesk.escalation.rule'].search([]).active = False
        cls.team.write({
            'auto_close_ticket': True,
            'auto_close_day': 7,
            'from_stage_ids': [Command.set(cls.stage_waiting.ids)],
            'to_stage_id': cls.stage_solved.id,
        })
        cls.sla_resolution = cls.env['helpdesk.sla'].create({
            'name': "Solve in 4 h", 'team_id': cls.team.id, 'target_type': 'resolution',
            'stage_id': cls.stage_solved.id, 'time': 4.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        })
        cls.cron = cls.env.ref('helpdesk_sla.ir_cron_helpdesk_auto_close')

    def _waiting_ticket(self, since=datetime(2026, 3, 2, 10, 0), **values):
        with self.travel(MONDAY):
            ticket = self._create_ticket(user_id=self.agent.id, **values)
        with self.travel(since):
            ticket.stage_id = self.stage_waiting
        return ticket

    def _auto_close(self, when):
        """The business method of the daily cron at ``when``; returns (reminded, closed)."""
        with self.travel(when), self.mock_mail_gateway():
            result = self.team._auto_close_tickets(when)
        self.env.invalidate_all()
        return result

    def _mails_to(self, partner, text):
        """The emails to ``partner`` containing ``text`` sent in the last ``mock_mail_gateway``."""
        return self._new_mails.filtered(lambda mail: partner in mail.recipient_ids and text in str(mail.body_html))

    def _customer_messages(self, ticket, text):
        return ticket.message_ids.filtered(lambda message: text in (message.body or ""))

    # ------------------------------------------------------------
    # AUTOMATIC CLOSING
    # ------------------------------------------------------------

    def test_closes_after_days_since_last_stage_change(self):
        """Writes, messages and priority changes do not restart the count; only stage changes do."""
        ticket = self._waiting_ticket()
        with self.travel(datetime(2026, 3, 3, 11, 0)):
            ticket.write({'name': "Printer on fire (still)", 'priority': '2'})
        with self.travel(datetime(2026, 3, 5, 15, 0)):
            ticket.with_user(self.agent).message_post(
                body="Any news?", message_type='comment', subtype_xmlid='mail.mt_comment')
        self.assertEqual(ticket.date_last_stage_update, datetime(2026, 3, 2, 10, 0))
        self.assertEqual(self._auto_close(datetime(2026, 3, 9, 9, 59, 59)), (self.env['helpdesk.ticket'],) * 2)
        self.assertEqual(ticket.stage_id, self.stage_waiting)

        _reminded, closed = self._auto_close(datetime(2026, 3, 9, 10, 0))
        self.assertEqual(closed, ticket)
        self.assertRecordValues(ticket, [{
            'stage_id': self.stage_solved.id, 'is_closed': True, 'close_date': datetime(2026, 3, 9, 10, 0)}])
        self.assertEqual(len(self._mails_to(self.customer, CLOSED_TEXT)), 1)
        message = self._customer_messages(ticket, CLOSED_TEXT)
        self.assertEqual(message.subtype_id, self.env.ref('mail.mt_comment'))
        self.assertIn("7 days", message.body)
        self.assertTrue(ticket.sla_status_ids.reached_datetime, "closing ends the SLA lines")
        self.assertFalse(self._auto_close(datetime(2026, 3, 10, 10, 0))[1], "closed once")

    def test_stage_change_restarts_the_count(self):
        ticket = self._waiting_ticket()
        with self.travel(datetime(2026, 3, 4, 10, 0)):
            ticket.stage_id = self.stage_progress
        with self.travel(datetime(2026, 3, 5, 10, 0)):
            ticket.stage_id = self.stage_waiting
        self.assertFalse(self._auto_close(datetime(2026, 3, 9, 10, 0))[1])
        self.assertFalse(self._auto_close(datetime(2026, 3, 12, 9, 59, 59))[1])
        self.assertEqual(self._auto_close(datetime(2026, 3, 12, 10, 0))[1], ticket)

    def test_reminder_before_closing(self):
        self.team.auto_close_reminder_day = 2
        ticket = self._waiting_ticket()
        self.assertFalse(self._auto_close(datetime(2026, 3, 7, 9, 59, 59))[0])
        with self.travel(datetime(2026, 3, 7, 10, 0)), self.mock_mail_gateway():
            reminded, closed = self.team._auto_close_tickets(datetime(2026, 3, 7, 10, 0))
            self.assertEqual(len(self._mails_to(self.customer, REMINDER_TEXT)), 1)
        self.assertEqual((reminded, closed), (ticket, self.env['helpdesk.ticket']))
        self.assertIn("in 2 days", self._customer_messages(ticket, REMINDER_TEXT).body)
        self.assertEqual(ticket.auto_close_reminder_date, datetime(2026, 3, 7, 10, 0))
        self.assertFalse(self._auto_close(datetime(2026, 3, 8, 10, 0))[0], "reminded once")
        self.assertEqual(len(self._customer_messages(ticket, REMINDER_TEXT)), 1)
        # back to work and waiting again: a new reminder before the new closing date
        with self.travel(datetime(2026, 3, 8, 11, 0)):
            ticket.stage_id = self.stage_progress
            ticket.stage_id = self.stage_waiting
        self.assertFalse(self._auto_close(datetime(2026, 3, 9, 10, 0))[1])
        self.assertEqual(self._auto_close(datetime(2026, 3, 13, 11, 0))[0], ticket)
        self.assertEqual(len(self._customer_messages(ticket, REMINDER_TEXT)), 2)
        self.assertEqual(self._auto_close(datetime(2026, 3, 15, 11, 0))[1], ticket)

    def test_only_chosen_stages_and_teams(self):
        working = self._waiting_ticket()
        with self.travel(datetime(2026, 3, 2, 10, 0)):
            working.stage_id = self.stage_progress
        team_2 = self.env['helpdesk.team'].create({
            'name': "Manual closing", 'stage_ids': [Command.set(self.stages.ids)]})
        self.assertEqual(team_2.from_stage_ids, self.env.ref('helpdesk_sla.stage_waiting'),
                         "Waiting on Customer by default")
        other_team = self._waiting_ticket(team_id=team_2.id)
        self._auto_close(datetime(2026, 4, 2, 10, 0))
        self.assertEqual(working.stage_id, self.stage_progress)
        self.assertEqual(other_team.stage_id, self.stage_waiting)

    def test_closing_stage_defaults_to_first_closing_stage(self):
        self.team.to_stage_id = False
        ticket = self._waiting_ticket()
        self._auto_close(datetime(2026, 3, 9, 10, 0))
        self.assertEqual(ticket.stage_id, self.stage_solved)

    def test_stage_template_sent_on_closing(self):
        self.stage_solved.template_id = self.env['mail.template'].create({
            'name': "Solved", 'model_id': self.env['ir.model']._get_id('helpdesk.ticket'),
            'subject': "Your ticket is solved", 'body_html': "<p>We consider your request solved.</p>"})
        self._waiting_ticket()
        with self.travel(datetime(2026, 3, 9, 10, 0)), self.mock_mail_gateway():
            self.team._auto_close_tickets(datetime(2026, 3, 9, 10, 0))
        self.assertTrue(self._mails_to(self.customer, "We consider your request solved."))
        self.assertTrue(self._mails_to(self.customer, CLOSED_TEXT))

    def test_cron(self):
        ticket = self._waiting_ticket()
        with self.travel(datetime(2026, 3, 9, 10, 0)), self.enter_registry_test_mode():
            self.cron.sudo().method_direct_trigger()
        self.assertEqual(ticket.stage_id, self.stage_solved)

    def test_day_settings_checked(self):
        with self.assertRaises(ValidationError):
            self.team.auto_close_reminder_day = 7
        with self.assertRaises(ValidationError):
            self.team.auto_close_day = 0

    # ------------------------------------------------------------
    # CUSTOMER REPLY
    # ------------------------------------------------------------

    def test_customer_reply_moves_back_to_work_and_resumes_sla(self):
        ticket = self._waiting_ticket()
        line = ticket.sla_status_ids
        self.assertTrue(line.is_paused)
        with self.travel(datetime(2026, 3, 3, 11, 0)):  # 7 + 2 working hours paused
            ticket.message_post(body="Here is the log you asked for", message_type='comment',
                                subtype_xmlid='mail.mt_comment', author_id=self.customer.id)
        self.assertRecordValues(ticket, [{
            'stage_id': self.stage_progress.id, 'date_last_stage_update': datetime(2026, 3, 3, 11, 0)}])
        self.assertFalse(line.is_paused, "the SLA clock runs again")
        self.assertEqual(line.deadline, datetime(2026, 3, 3, 14, 0), "Monday 13:00 + 9 working hours")
        self.assertFalse(self._auto_close(datetime(2026, 3, 20, 10, 0))[1], "no longer waiting")

    def test_customer_email_reply_through_gateway(self):
        """The customer answers by email (the mail gateway) a ticket waiting on them."""
        self.team.alias_name = 'waiting-desk'
        ticket = self._waiting_ticket()
        with self.travel(datetime(2026, 3, 3, 11, 0)), self.mock_mail_gateway():
            self.format_and_process(
                EMAIL_TEXT, self.customer.email, self.team.alias_email, body="The log is attached.",
                subject=f"Re: Printer on fire (#{ticket.ticket_ref})", target_model='helpdesk.ticket')
        self.assertEqual(ticket.message_ids[0].author_id, self.customer)
        self.assertEqual(ticket.stage_id, self.stage_progress)

    def test_other_replies_change_nothing(self):
        waiting = self._waiting_ticket()
        with self.travel(datetime(2026, 3, 3, 11, 0)):
            waiting.message_post(body="Did you try rebooting?", message_type='comment',
                                 subtype_xmlid='mail.mt_comment', author_id=self.agent.partner_id.id)
            waiting.message_post(body="Customer called", message_type='comment',
                                 subtype_xmlid='mail.mt_note', author_id=self.agent.partner_id.id)
        self.assertEqual(waiting.stage_id, self.stage_waiting, "an agent's messages keep it waiting")
        with self.travel(MONDAY):
            new = self._create_ticket()
            new.message_post(body="Hello?", message_type='comment', subtype_xmlid='mail.mt_comment',
                             author_id=self.customer.id)
        self.assertEqual(new.stage_id, self.stage_new, "a ticket not waiting stays where it is")

    def test_reply_stage_choice(self):
        self.assertEqual(self.team._get_reply_stage(), self.stage_progress, "the second open stage by default")
        self.assertEqual(self.team._get_waiting_stages(), self.stage_waiting)
        self.team.reply_stage_id = self.stage_new
        ticket = self._waiting_ticket()
        with self.travel(datetime(2026, 3, 3, 11, 0)):
            ticket.message_post(body="Back", message_type='comment', subtype_xmlid='mail.mt_comment',
                                author_id=self.customer.id)
        self.assertEqual(ticket.stage_id, self.stage_new)

    def test_waiting_stage_of_a_team_without_automatic_closing(self):
        """Without automatic closing, the stages where SLA lines pause still count as waiting."""
        self.team.auto_close_ticket = False
        ticket = self._waiting_ticket()
        with self.travel(datetime(2026, 3, 3, 11, 0)):
            ticket.message_post(body="Back", message_type='comment', subtype_xmlid='mail.mt_comment',
                                author_id=self.customer.id)
        self.assertEqual(ticket.stage_id, self.stage_progress)
        self.assertEqual(ticket.date_last_stage_update, datetime(2026, 3, 3, 11, 0))
