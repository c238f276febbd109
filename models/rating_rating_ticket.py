from odoo import api, fields, models


class RatingRating(models.Model):
    """The ticket a rating belongs to, as a real relation: the record rules of ticket ratings
    (security/helpdesk_security.xml) follow the ticket through it."""

    _inherit = 'rating.rating'

    helpdesk_ticket_id = fields.Many2one(
        'helpdesk.ticket', string="Helpdesk Ticket", compute='_compute_helpdesk_ticket_id', store=True,
        index='btree_not_null', ondelete='cascade')

    @api.depends('res_model', 'res_id')
    def _compute_helpdesk_ticket_id(self):
        ticket_ratings = self.filtered(lambda rating: rating.res_model == 'helpdesk.ticket')
        tickets = self.env['helpdesk.ticket'].browse(set(ticket_ratings.mapped('res_id'))).exists()
        (self - ticket_ratings).helpdesk_ticket_id = False
        for rating in ticket_ratings:
            ticket = tickets.browse(rating.res_id)
            rating.helpdesk_ticket_id = ticket if ticket in tickets else False
