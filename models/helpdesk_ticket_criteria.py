from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools.safe_eval import safe_eval

from ..core.constants import TICKET_PRIORITIES


class HelpdeskTicketCriteria(models.AbstractModel):
    """Which tickets a record applies to (empty criteria match any ticket): the
    shared matching of SLA policies and assignment rules."""

    _name = 'helpdesk.ticket.criteria'
    _description = "Helpdesk Ticket Criteria"

    priority = fields.Selection(TICKET_PRIORITIES, help="Only tickets of this priority; empty: any priority.")
    ticket_type_ids = fields.Many2many('helpdesk.ticket.type', string="Ticket Types")
    tag_ids = fields.Many2many('helpdesk.tag', string="Tags", help="Tickets with at least one of these tags.")
    partner_category_ids = fields.Many2many(
        'res.partner.category', string="Customer Tiers",
        help="Customers (or their company) with one of these tags, e.g. VIP or Premium.")
    domain = fields.Char(string="Other Conditions", help="An extra filter on the tickets.")

    @api.constrains('domain')
    def _check_domain(self):
        for record in self.filtered('domain'):
            try:
                self.env['helpdesk.ticket'].search_count(record._get_extra_domain(), limit=1)
            except Exception as error:  # any parse or field error means a bad domain
                raise ValidationError(self.env._(
                    "The conditions of “%(name)s” are not a valid filter: %(error)s",
                    name=record.display_name, error=error)) from error

    def _get_extra_domain(self):
        self.ensure_one()
        return Domain(safe_eval(self.domain, {'uid': self.env.uid})) if self.domain else Domain.TRUE

    def _filter_matching_fields(self, tickets):
        """The subset of ``tickets`` meeting the field criteria: one pass per criterion set,
        comparing ids (the domain is checked by ``_filter_matching``)."""
        self.ensure_one()
        matched = tickets
        if self.priority and self.priority != 'any':  # 'any': the explicit choice of SLA policies (helpdesk.sla)
            priority = self.priority
            matched = matched.filtered(lambda ticket: ticket.priority == priority)
        if self.ticket_type_ids and matched:
            type_ids = set(self.ticket_type_ids.ids)
            matched = matched.filtered(lambda ticket: ticket.ticket_type_id.id in type_ids)
        if self.tag_ids and matched:
            tag_ids = set(self.tag_ids.ids)
            matched = matched.filtered(lambda ticket: not tag_ids.isdisjoint(ticket.tag_ids.ids))
        if self.partner_category_ids and matched:
            category_ids = set(self.partner_category_ids.ids)
            partner_ids = {partner.id for partner in matched.partner_id if not category_ids.isdisjoint(
                (partner.category_id | partner.commercial_partner_id.category_id).ids)}
            matched = matched.filtered(lambda ticket: ticket.partner_id.id in partner_ids)
        return matched

    def _filter_matching(self, tickets):
        """The subset of ``tickets`` this record applies to, the domain evaluated once for the batch."""
        self.ensure_one()
        matched = self._filter_matching_fields(tickets)
        if self.domain and matched:
            matched = matched.filtered_domain(self._get_extra_domain())
        return matched
