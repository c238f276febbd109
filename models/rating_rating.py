from odoo import api, fields, models

from odoo.addons.rating.models import rating_data


class RatingRating(models.Model):
    """Helpdesk figures on ratings: the ticket and team a ticket rating counts for (the
    record rules of ticket ratings, security/helpdesk_security.xml, follow the ticket), a
    satisfaction measure whose average is the "% satisfied" of any group, and the CSAT
    loop's reasons and stamps."""

    _inherit = 'rating.rating'

    helpdesk_ticket_id = fields.Many2one(
        'helpdesk.ticket', string="Helpdesk Ticket", compute='_compute_helpdesk_ticket_id', store=True,
        index='btree_not_null', ondelete='cascade')
    helpdesk_team_id = fields.Many2one(
        'helpdesk.team', string="Helpdesk Team", compute='_compute_helpdesk_team_id', store=True,
        index='btree_not_null', ondelete='set null')
    satisfaction = fields.Float(
        string="% Satisfied", compute='_compute_satisfaction', store=True, aggregator='avg',
        help="100 for a satisfied customer (4 or 5 out of 5), 0 otherwise: its average over "
             "ratings is the share of satisfied customers.")
    helpdesk_reason_ids = fields.Many2many(
        'helpdesk.rating.reason', 'helpdesk_rating_reason_rating_rel', 'rating_id', 'reason_id',
        string="Reasons", help="What the customer ticked as the reasons of a low rating.")
    helpdesk_request_date = fields.Datetime(
        string="Requested On", readonly=True, copy=False,
        help="When the rating request was last emailed: its link's validity counts from there.")
    helpdesk_alert_date = fields.Datetime(
        string="Low Rating Alert On", readonly=True, copy=False,
        help="When this rating first turned low and alerted the team: a customer changing "
             "their rating back and forth alerts once.")

    @api.depends('res_model', 'res_id')
    def _compute_helpdesk_ticket_id(self):
        ticket_ratings = self.filtered(lambda rating: rating.res_model == 'helpdesk.ticket')
        tickets = self.env['helpdesk.ticket'].browse(set(ticket_ratings.mapped('res_id'))).exists()
        (self - ticket_ratings).helpdesk_ticket_id = False
        for rating in ticket_ratings:
            ticket = tickets.browse(rating.res_id)
            rating.helpdesk_ticket_id = ticket if ticket in tickets else False

    @api.depends('parent_res_model', 'parent_res_id')
    def _compute_helpdesk_team_id(self):
        team_ratings = self.filtered(lambda rating: rating.parent_res_model == 'helpdesk.team')
        teams = self.env['helpdesk.team'].browse(list(set(team_ratings.mapped('parent_res_id')))).exists()
        (self - team_ratings).helpdesk_team_id = False
        for rating in team_ratings:
            team = teams.browse(rating.parent_res_id)
            rating.helpdesk_team_id = team if team in teams else False

    @api.depends('rating')
    def _compute_satisfaction(self):
        for rating in self:
            rating.satisfaction = 100.0 if rating.rating >= rating_data.RATING_LIMIT_SATISFIED else 0.0
