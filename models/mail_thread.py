import codecs
import logging

from odoo import models

_logger = logging.getLogger(__name__)


class MailThread(models.AbstractModel):
    _inherit = 'mail.thread'

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
