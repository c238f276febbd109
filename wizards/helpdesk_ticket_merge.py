from odoo import api, fields, models
from odoo.exceptions import UserError


class HelpdeskTicketMerge(models.TransientModel):
    """Merge duplicate tickets into one: the others are archived with a link to it."""

    _name = 'helpdesk.ticket.merge'
    _description = "Merge Helpdesk Tickets"

    ticket_ids = fields.Many2many(
        'helpdesk.ticket', string="Tickets to Merge",
        default=lambda self: self._default_ticket_ids())
    target_ticket_id = fields.Many2one(
        'helpdesk.ticket', string="Merge Into", required=True,
        compute='_compute_target_ticket_id', store=True, readonly=False,
        domain="[('id', 'in', ticket_ids)]")

    def _default_ticket_ids(self):
        if self.env.context.get('active_model') == 'helpdesk.ticket':
            return self.env['helpdesk.ticket'].browse(self.env.context.get('active_ids', []))
        return self.env['helpdesk.ticket']

    @api.depends('ticket_ids')
    def _compute_target_ticket_id(self):
        for wizard in self:
            if wizard.target_ticket_id not in wizard.ticket_ids:
                wizard.target_ticket_id = wizard.ticket_ids.sorted('id')[:1]

    def action_merge(self):
        self.ensure_one()
        if len(self.ticket_ids) < 2:
            raise UserError(self.env._("Select at least two tickets to merge."))
        target = self.ticket_ids._merge_into(self.target_ticket_id)
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'helpdesk.ticket',
            'res_id': target.id,
            'view_mode': 'form',
        }
