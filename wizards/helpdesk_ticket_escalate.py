from odoo import api, fields, models
from odoo.exceptions import UserError


class HelpdeskTicketEscalate(models.TransientModel):
    """Escalate a ticket by hand: the next level's escalation rules in scope of the ticket
    apply (logged without SLA line) and the ticket is marked escalated."""

    _name = 'helpdesk.ticket.escalate'
    _description = "Escalate a Ticket"

    ticket_id = fields.Many2one(
        'helpdesk.ticket', string="Ticket", required=True, ondelete='cascade')
    current_level = fields.Integer(related='ticket_id.escalation_level', string="Current Level")
    next_level = fields.Integer(compute='_compute_next_rules', string="Next Level")
    rule_ids = fields.Many2many(
        'helpdesk.escalation.rule', compute='_compute_next_rules', string="Rules Applied",
        help="The escalation rules of the next level in scope of the ticket.")
    reason = fields.Text(required=True, help="Why the ticket needs escalating; posted on the ticket.")

    @api.depends('ticket_id')
    def _compute_next_rules(self):
        Rule = self.env['helpdesk.escalation.rule']
        for wizard in self:
            rules = Rule._get_next_level_rules(wizard.ticket_id.sudo()) if wizard.ticket_id else Rule
            wizard.rule_ids = rules
            wizard.next_level = rules[:1].level or wizard.ticket_id.escalation_level + 1

    def action_escalate(self):
        self.ensure_one()
        ticket = self.ticket_id
        ticket.check_access('write')
        if ticket.is_closed:
            raise UserError(self.env._("The ticket “%s” is closed: it cannot be escalated.", ticket.display_name))
        self.env['helpdesk.escalation.rule']._escalate_by_hand(ticket, self.reason)
        return {'type': 'ir.actions.act_window_close'}
