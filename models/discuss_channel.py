from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_datetime, html2plaintext, is_html_empty

TICKET_COMMAND = '/ticket'
SUBJECT_MAX_LENGTH = 80


class DiscussChannel(models.Model):
    """The ``/ticket <subject>`` command: a helpdesk ticket from a conversation."""

    _inherit = 'discuss.channel'

    helpdesk_ticket_ids = fields.One2many(
        'helpdesk.ticket', 'origin_channel_id', string="Helpdesk Tickets",
        groups='helpdesk_sla.group_helpdesk_user')

    # ------------------------------------------------------------
    # COMMANDS
    # ------------------------------------------------------------

    def execute_command_ticket(self, **kwargs):
        """Create a ticket for the conversation's customer with the conversation as its
        description, and post a link to it in the conversation. Agents only."""
        self.ensure_one()
        if not self.env.user.has_group('helpdesk_sla.group_helpdesk_user'):
            raise AccessError(self.env._("Only helpdesk agents can create tickets from a conversation."))
        self.check_access('read')
        subject = self._ticket_command_subject(kwargs.get('body') or '')
        ticket = self.env['helpdesk.ticket'].with_context(default_channel='chat').create(
            self._ticket_command_values(subject))
        self.message_post(
            body=self.env._("Ticket %(ticket)s created from this conversation.", ticket=ticket._get_html_link()),
            message_type='notification',
            subtype_xmlid='mail.mt_comment',
        )
        return ticket.id

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _ticket_command_messages(self):
        """The conversation's human messages, oldest first."""
        messages = self.message_ids.filtered(lambda message: message.message_type == 'comment')
        return (messages - messages.sudo()._filter_empty()).sorted('id')

    def _ticket_command_subject(self, body):
        """The text after ``/ticket``, else the first line of the conversation."""
        body = body.strip()
        if body.startswith(TICKET_COMMAND):
            body = body[len(TICKET_COMMAND):]
        subject = body.strip().splitlines()[0].strip() if body.strip() else ''
        if not subject:
            for message in self._ticket_command_messages():
                lines = html2plaintext(message.body or '').strip().splitlines()
                if lines:
                    subject = lines[0].strip()
                    break
        if len(subject) > SUBJECT_MAX_LENGTH:
            subject = subject[:SUBJECT_MAX_LENGTH - 1].rstrip() + "…"
        return subject or self.env._("Conversation %(name)s", name=self.name)

    def _ticket_command_customer(self):
        """The conversation's customer: the live-chat visitor's partner, else the first
        member who is no employee and no public user."""
        if 'livechat_customer_partner_ids' in self._fields:
            customers = self.sudo().livechat_customer_partner_ids.filtered(lambda partner: not partner.is_public)
            if customers:
                return customers[:1]
        members = self.sudo().channel_member_ids.partner_id
        return members.filtered(lambda partner: partner.partner_share and not partner.is_public)[:1]

    def _ticket_command_values(self, subject):
        customer = self._ticket_command_customer()
        return {
            'name': subject,
            'partner_id': customer.id,
            'user_id': self.env.user.id,
            'description': self._ticket_command_transcript(),
            'origin_channel_id': self.id,
        }

    def _ticket_command_transcript(self):
        """The conversation as HTML: one paragraph per message with its author and time.
        Everything that comes from the conversation is escaped as text."""
        tz = self.env.user.tz or 'UTC'
        paragraphs = []
        for message in self._ticket_command_messages():
            author = message.sudo().author_id
            author_name = (
                getattr(author, 'user_livechat_username', False) or author.name
                or message.sudo().author_guest_id.name or message.email_from or self.env._("Unknown")
            )
            lines = [] if is_html_empty(message.body) else html2plaintext(message.body).strip().splitlines()
            lines += [self.env._("Attachment: %(name)s", name=attachment.name)
                      for attachment in message.sudo().attachment_ids]
            paragraphs.append(Markup("<p><strong>%s</strong> <small>%s</small><br/>%s</p>") % (
                author_name,
                format_datetime(self.env, message.date, tz=tz, dt_format='short'),
                Markup("<br/>").join(lines),
            ))
        return Markup("").join(paragraphs)
