import logging
import re

from odoo import SUPERUSER_ID, api, models
from odoo.fields import Domain
from odoo.tools.mail import email_normalize, email_split_and_format, parse_contact_from_email

from ..core import is_automated_email

# a ticket reference quoted in an email subject: "Re: Printer on fire (#00042)", "[#00042]"
TICKET_REF_PATTERN = re.compile(r'#([\w/.-]+)')

_logger = logging.getLogger(__name__)


class HelpdeskTicket(models.Model):
    """The ticket's mail: tracking subtypes, the mail gateway (email to ticket, replies,
    routing), what a public message does to the ticket, and the emails its stages send."""

    _inherit = 'helpdesk.ticket'

    # ------------------------------------------------------------
    # MAIL
    # ------------------------------------------------------------

    def _track_subtype(self, initial_values):
        self.ensure_one()
        if 'stage_id' in initial_values:
            return self.env.ref('helpdesk_sla.mt_ticket_stage')
        return super()._track_subtype(initial_values)

    def _creation_subtype(self):
        """Post (and notify) the creation where a team follower listens to new tickets; otherwise
        the creation is logged in one batch, which is much cheaper for bulk intake."""
        xmlid_to_id = self.env['ir.model.data']._xmlid_to_res_id
        team_subtype_id = xmlid_to_id('helpdesk_sla.mt_team_ticket_new')
        if team_subtype_id in self.team_id.message_follower_ids.subtype_ids.ids:
            return self.env['mail.message.subtype'].browse(xmlid_to_id('helpdesk_sla.mt_ticket_new'))
        return super()._creation_subtype()

    def _message_post_after_hook(self, message, msg_vals):
        """Public replies drive the response SLAs: an agent's reaches them, a customer's opens a window."""
        result = super()._message_post_after_hook(message, msg_vals)
        if message.message_type in ('comment', 'email') and message.subtype_id == self.env.ref('mail.mt_comment'):
            author_users = message.author_id.user_ids
            if author_users and not all(author_users.mapped('share')):
                self._sla_on_agent_reply(message.date)
            elif message.author_id or message.email_from:
                self._resume_on_customer_reply()
                self._sla_on_customer_message(message.date)
        return result

    def _resume_on_customer_reply(self):
        """The customer answered tickets waiting on them: back to work, in the team's reply stage
        (see ``helpdesk.team._get_reply_stage``); their SLA lines resume with the stage change."""
        waiting = self.sudo().filtered(lambda ticket: not ticket.is_closed
                                       and ticket.stage_id in ticket.team_id._get_waiting_stages())
        for stage, tickets in waiting.grouped(lambda ticket: ticket.team_id._get_reply_stage()).items():
            if stage:
                tickets.filtered(lambda ticket, stage=stage: ticket.stage_id != stage
                                 )._as_automation().write({'stage_id': stage.id})


    # ------------------------------------------------------------
    # MAIL GATEWAY
    # ------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A ticket from an email to a team alias: subject as title, body as description,
        the sender as customer when a contact has that email (case-insensitive), else
        their name and email kept on the ticket."""
        values = dict(custom_values or {})
        values.setdefault('name', (msg_dict.get('subject') or '').strip() or self.env._("No Subject"))
        values.setdefault('channel', 'email')
        if msg_dict.get('body'):
            values.setdefault('description', msg_dict['body'])
        email_from = msg_dict.get('email_from') or ''
        partner = self.env['res.partner'].browse(msg_dict.get('author_id')).exists()
        if not partner and email_normalize(email_from):
            partner = self._partner_find_from_emails_single([email_from], no_create=True)[:1]
        if partner:
            values.setdefault('partner_id', partner.id)
        elif 'partner_id' not in values:
            name, email = parse_contact_from_email(email_from)
            values.setdefault('partner_name', (name or email or '').strip().strip('"').strip() or False)
            values.setdefault('partner_email', email_normalize(email) or False)
        # the base implementation copies the raw sender into the primary email field
        sender = values.get('partner_email') if not values.get('partner_id') else False
        ticket = super(HelpdeskTicket, self.with_context(default_user_id=False)).message_new(
            dict(msg_dict, email_from=sender), custom_values=values)
        ticket._subscribe_cc_followers(msg_dict)
        return ticket

    def message_update(self, msg_dict, update_vals=None):
        self._subscribe_cc_followers(msg_dict)
        return super().message_update(msg_dict, update_vals=update_vals)

    def _subscribe_cc_followers(self, msg_dict):
        """Addresses in CC (our aliases aside) follow the tickets of teams allowing it;
        a contact is created for an address without one."""
        tickets = self.filtered(lambda ticket: ticket.team_id.allow_cc_followers)
        emails = [email for email in email_split_and_format(msg_dict.get('cc') or '') if email_normalize(email)]
        if not tickets or not emails:
            return
        for ticket in tickets:
            partners = ticket._partner_find_from_emails_single(emails)
            ticket.message_subscribe(partner_ids=partners.ids)

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        """Emails to a team alias that would create a ticket:

        * a ticket reference in the subject (``#00042``) sends the email to that ticket
          when the sender is its customer or one of its followers;
        * an automated email (auto-reply, bulk, see ``is_automated_email``) never creates a
          ticket: it goes to the sender's latest open ticket of the team, or is dropped
          with a logged reason."""
        model, thread_id, custom_values, _user_id, _alias = route
        if model == self._name and not thread_id:
            ticket = self._routing_find_referenced_ticket(message_dict)
            if not ticket and is_automated_email(message):
                ticket = self._routing_find_open_ticket_of_sender(message_dict, custom_values)
                if not ticket:
                    _logger.info(
                        "Routing mail from %s to %s with Message-Id %s: automated email (auto-reply or bulk) "
                        "not turned into a ticket, the sender has no open ticket",
                        message_dict.get('email_from'), message_dict.get('to'), message_dict.get('message_id'))
                    return False
            if ticket:
                _logger.info(
                    "Routing mail from %s with Message-Id %s: sent to ticket %s",
                    message_dict.get('email_from'), message_dict.get('message_id'), ticket.ticket_ref)
                route = (model, ticket.id, *route[2:])
        return super()._routing_check_route(message, message_dict, route, raise_exception=raise_exception)

    @api.model
    def _detect_loop_sender_domain(self, email_from_normalized):
        """Tickets recently created by the same sender (exact address, any case); none to
        count without a valid address, rather than every ticket lacking one."""
        if not email_from_normalized:
            return []
        return [('partner_email', '=ilike', email_from_normalized)]

    @api.model
    def _routing_find_referenced_ticket(self, message_dict):
        """The ticket whose reference the subject quotes (followed to the ticket it was
        merged into), if the sender is its customer or a follower."""
        refs = {ref.rstrip('./-') for ref in TICKET_REF_PATTERN.findall(message_dict.get('subject') or '')}
        sender = email_normalize(message_dict.get('email_from') or '')
        if not refs or not sender:
            return self.browse()
        for ticket in self.with_context(active_test=False).search([('ticket_ref', 'in', list(refs))]):
            hops = 0
            while ticket.merged_into_id and not ticket.active and hops < 10:
                ticket, hops = ticket.merged_into_id, hops + 1
            if ticket.active and sender in ticket._get_known_emails():
                return ticket.with_context(active_test=True)
        return self.browse()

    def _get_known_emails(self):
        """Normalized emails of the ticket's customer and followers."""
        self.ensure_one()
        emails = {email_normalize(self.partner_email or ''), self.partner_id.email_normalized}
        emails.update(self.message_partner_ids.mapped('email_normalized'))
        return emails - {False, None, ''}

    @api.model
    def _routing_find_open_ticket_of_sender(self, message_dict, custom_values):
        """The latest open ticket of the sender, in the alias's team when it has one."""
        sender = email_normalize(message_dict.get('email_from') or '')
        if not sender:
            return self.browse()
        domain = Domain('is_closed', '=', False) & (
            Domain('partner_email', '=ilike', sender) | Domain('partner_id.email_normalized', '=', sender))
        team_id = (custom_values or {}).get('team_id')
        if team_id:
            domain &= Domain('team_id', '=', team_id)
        return self.search(domain, order='id desc', limit=1)

    def _notify_get_reply_to(self, default=None, author_id=False):
        """Replies to ticket emails go to the team's alias when it has one."""
        with_alias = self.filtered(lambda ticket: ticket.team_id.sudo().alias_email)
        result = {}
        if with_alias:
            team_reply_to = with_alias.team_id.sudo()._notify_get_reply_to(default=default, author_id=author_id)
            result = {ticket.id: team_reply_to[ticket.team_id.id] for ticket in with_alias}
        others = self - with_alias
        if others or not self:
            result.update(super(HelpdeskTicket, others)._notify_get_reply_to(default=default, author_id=author_id))
        return result

    # ------------------------------------------------------------
    # STAGE EMAILS AND RATINGS
    # ------------------------------------------------------------

    def _as_automation(self):
        """``self`` in sudo for automated messages and activities, acting as OdooBot when
        the current user is no employee (a customer on the portal or a rating page), so
        those are not authored by the customer."""
        if self.env.user._is_internal():
            return self.sudo()
        return self.with_user(SUPERUSER_ID).sudo()

    def _send_stage_emails(self):
        """Send what the stage each ticket just reached sends to its customer: the stage's
        email template and, for teams with Customer Ratings on, its rating request."""
        tickets = self._as_automation()
        with_template = tickets.filtered(lambda ticket: ticket.stage_id.template_id)
        for template, batch in with_template.grouped(lambda ticket: ticket.stage_id.template_id).items():
            batch.message_post_with_source(
                template,
                message_type='auto_comment',
                subtype_xmlid='mail.mt_note',
                email_layout_xmlid='mail.mail_notification_light',
                notify_author_mention=True,
                force_send=False,
            )
        to_rate = tickets.filtered(
            lambda ticket: ticket.team_id.use_rating and ticket.stage_id.rating_template_id
            and ticket._rating_get_partner())
        for template, batch in to_rate.grouped(lambda ticket: ticket.stage_id.rating_template_id).items():
            batch.rating_send_request(template, force_send=False)
