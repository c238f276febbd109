from odoo import api, models
from odoo.fields import Domain

# The ticket's message fields: searched through them, mail.message bypasses its own access rules
MESSAGE_FIELDS = ('message_ids', 'website_message_ids')


class HelpdeskTicket(models.Model):
    """Searches of portal users reach the public messages of a ticket only.

    ``message_ids`` (and ``website_message_ids``) search their messages bypassing the access
    rules of ``mail.message``, so a customer searching their own ticket with
    ``('message_ids.body', 'ilike', ...)`` over RPC would probe the text of internal notes.
    For users outside the internal users, each condition through those fields is limited
    to the messages they could read (``mail.message._get_search_domain_share()``)."""

    _inherit = 'helpdesk.ticket'

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        if not self.env.su and not self.env.user._is_internal():
            domain = Domain(domain).map_conditions(self._share_message_condition)
        return super()._search(domain, offset=offset, limit=limit, order=order, **kwargs)

    @api.model
    def _share_message_condition(self, condition):
        field_name, _dot, path = condition.field_expr.partition('.')
        if field_name not in MESSAGE_FIELDS:
            return condition
        share = self.env['mail.message']._get_search_domain_share()
        if path:
            return Domain(field_name, 'any', Domain(path, condition.operator, condition.value) & share)
        if condition.operator in ('any', 'not any', 'any!', 'not any!'):
            operator = condition.operator.rstrip('!')
            return Domain(field_name, operator, Domain(condition.value) & share)
        if condition.operator in ('in', 'not in'):
            ids = [value for value in condition.value if value]
            positive = Domain(field_name, 'any', Domain('id', 'in', ids) & share) if ids else Domain.FALSE
            if len(ids) != len(condition.value):  # False in the values: no message at all
                positive |= Domain(field_name, 'not any', share)
            return positive if condition.operator == 'in' else ~positive
        return Domain.FALSE  # no other search through messages is offered to portal users
