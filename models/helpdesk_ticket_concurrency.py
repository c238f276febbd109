import psycopg2.errors

from odoo import models
from odoo.exceptions import ConcurrencyError


class HelpdeskTicket(models.Model):
    """Concurrent writers on one ticket: conflicts are retried, never shown to the agent."""

    _inherit = 'helpdesk.ticket'

    def _message_subscribe(self, partner_ids=None, subtype_ids=None, customer_ids=None):
        """A follower inserted by another transaction (the escalation cron, another agent) between
        this one's read of the followers and its insertion is a race, not an error of the user:
        Odoo retries the request (``ConcurrencyError``), which then finds the follower, instead
        of showing "a partner cannot follow twice the same object"."""
        try:
            return super()._message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids,
                                              customer_ids=customer_ids)
        except psycopg2.errors.UniqueViolation as error:
            if error.diag.table_name != 'mail_followers':
                raise
            raise ConcurrencyError(f"Follower of {self._name} {self.ids} added concurrently") from error
