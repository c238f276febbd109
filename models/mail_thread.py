import codecs
import logging
from datetime import timedelta

from odoo import api, models
from odoo.fields import Domain
from odoo.tools.mail import decode_message_header

_logger = logging.getLogger(__name__)


# marks the loop-guard bounces of mail to tickets, kept to send one per sender and loop window
LOOP_BOUNCE_REFERENCE = '<loop-bounce@helpdesk-sla.invalid>'


class MailThread(models.AbstractModel):
    _inherit = 'mail.thread'

    @api.model
    def message_process(self, model, message, custom_values=None,
                        save_original=False, strip_attachments=False,
                        thread_id=None):
        """A refused email is answered ``False``, never ``None``: Odoo's loop guards answer
        ``None``, which XML-RPC (``odoo-mailgate``) cannot marshal, so the MTA saw a fault,
        retried, and each retry bounced again. On ``mail.thread`` because the mail gateway
        calls it on the generic model."""
        result = super().message_process(
            model, message, custom_values=custom_values, save_original=save_original,
            strip_attachments=strip_attachments, thread_id=thread_id)
        return False if result is None else result

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        """Routes to tickets are checked by the ticket model: Odoo checks reply and fallback
        routes on the generic model (only alias routes on their own model), and the ticket
        establishes its sender, duplicates and claims there
        (``helpdesk.ticket._routing_check_route``)."""
        if route and route[0] == 'helpdesk.ticket' and self._name != 'helpdesk.ticket':
            return self.env['helpdesk.ticket']._routing_check_route(
                message, message_dict, route, raise_exception=raise_exception)
        return super()._routing_check_route(message, message_dict, route, raise_exception=raise_exception)

    @api.model
    def _detect_loop_sender(self, message, message_dict, routes):
        """Odoo's loop guard, bouncing at most once per sender and loop window when the
        email was for tickets (see ``_routing_create_bounce_email``)."""
        if any(route[0] == 'helpdesk.ticket' for route in routes or ()):
            self = self.with_context(helpdesk_sla_loop_bounce=True)
        return super()._detect_loop_sender(message, message_dict, routes)

    def _routing_create_bounce_email(self, email_from, body_html, message, **mail_values):
        """A loop-guard bounce of mail to tickets goes out once per sender and loop window
        (``mail.gateway.loop.minutes``): the looping sender keeps being refused, silently,
        instead of receiving one more bounce per retry. The bounce is kept (not
        auto-deleted) as the record of that window."""
        if not self.env.context.get('helpdesk_sla_loop_bounce'):
            return super()._routing_create_bounce_email(email_from, body_html, message, **mail_values)
        bounce_to = decode_message_header(message, 'Return-Path') or email_from
        minutes = int(self.env['ir.config_parameter'].sudo().get_param('mail.gateway.loop.minutes', 120))
        recent = self.env['mail.mail'].sudo().search_count(
            Domain('email_to', '=', bounce_to) & Domain('references', 'like', LOOP_BOUNCE_REFERENCE)
            & Domain('create_date', '>=', self.env.cr.now() - timedelta(minutes=minutes)), limit=1)
        if recent:
            _logger.info("Loop guard: %s was already told within %s minutes, no new bounce", bounce_to, minutes)
            return None
        mail_values['references'] = f"{mail_values.get('references') or ''} {LOOP_BOUNCE_REFERENCE}".strip()
        mail_values['auto_delete'] = False
        return super()._routing_create_bounce_email(email_from, body_html, message, **mail_values)

    def _message_parse_extract_payload(self, message, message_dict, save_original=False):
        """Read text parts declaring a charset Python does not know (``x-unknown``,
        misspelt names) as UTF-8 when they decode as such, else as Latin-1, instead of
        failing the whole email with a ``LookupError``: the gateway keeps the message.

        On ``mail.thread`` on purpose: the gateway parses an email before it routes it,
        with the generic model, so the ticket model is not known yet at this point. Only
        parts whose charset Python does not know are touched (see the mail gateway tests)."""
        for part in message.walk():
            charset = part.get_param('charset') if part.get_content_maintype() == 'text' else None
            if not charset or not isinstance(charset, str):
                continue
            try:
                codecs.lookup(charset)
            except LookupError:
                payload = part.get_payload(decode=True) or b''
                try:
                    payload.decode('utf-8')
                    fallback = 'utf-8'
                except UnicodeDecodeError:
                    fallback = 'latin-1'
                _logger.info("Incoming email %s: unknown charset %r read as %s",
                             message_dict.get('message_id'), charset, fallback)
                part.set_param('charset', fallback)
        return super()._message_parse_extract_payload(message, message_dict, save_original=save_original)
