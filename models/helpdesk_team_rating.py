from datetime import timedelta

from odoo import fields, models
from odoo.fields import Domain


class HelpdeskTeam(models.Model):
    """The team's side of the CSAT loop: how long a rating link stays valid, whether a low
    rating reopens the ticket, and the average rating of its tickets by SLA outcome."""

    _inherit = 'helpdesk.team'

    rating_validity_days = fields.Integer(
        string="Rating Link Valid (days)", default=30,
        help="Days a rating link emailed to a customer can be used; an older link shows an "
             "\"expired\" page and records nothing. 0: the link never expires.")
    reopen_on_low_rating = fields.Boolean(
        string="Reopen on Low Rating",
        help="A low rating (1 or 2 out of 5, with or without a comment) moves the ticket back to the "
             "team's first open stage, opens a next-response SLA window and tells the ticket's agent.")
    rating_avg_sla_met = fields.Float(
        string="Average Rating, SLA Met (30 days)", compute='_compute_rating_by_sla_outcome',
        help="Average last rating (1 to 5) of the team's tickets closed in the last 30 days whose "
             "SLA targets were all reached on time.")
    rating_avg_sla_failed = fields.Float(
        string="Average Rating, SLA Failed (30 days)", compute='_compute_rating_by_sla_outcome',
        help="Average last rating (1 to 5) of the team's tickets closed in the last 30 days that "
             "missed an SLA target.")
    rating_sla_met_count = fields.Integer(compute='_compute_rating_by_sla_outcome')
    rating_sla_failed_count = fields.Integer(compute='_compute_rating_by_sla_outcome')

    _rating_validity_days_positive = models.Constraint(
        'CHECK(rating_validity_days >= 0)', "The validity of rating links cannot be negative.")

    def _compute_rating_by_sla_outcome(self):
        """One grouped query on the ticket analysis (its ``rating`` beside ``sla_success``),
        the same figure as its pivot "average rating when the SLA was met vs failed"."""
        since = fields.Datetime.now() - timedelta(days=self._rating_satisfaction_days)
        rows = self.env['helpdesk.ticket.report.analysis'].sudo()._read_group(
            self._get_rating_by_sla_outcome_domain(since) & Domain('team_id', 'in', self.ids),
            ['team_id', 'sla_success'], ['__count', 'rating:avg'])
        stats = {(team.id, success): (count, average) for team, success, count, average in rows}
        for team in self:
            team.rating_sla_met_count, team.rating_avg_sla_met = stats.get((team.id, True), (0, 0.0))
            team.rating_sla_failed_count, team.rating_avg_sla_failed = stats.get((team.id, False), (0, 0.0))

    def _get_rating_by_sla_outcome_domain(self, since):
        """Rated tickets with SLA lines, closed since ``since``."""
        return (Domain('rating', '!=', False) & Domain('sla_status', '!=', False)
                & Domain('is_closed', '=', True) & Domain('close_date', '>=', since))

    def _get_first_open_stage(self):
        """The team's first stage (by sequence) that does not close tickets."""
        self.ensure_one()
        return self.stage_ids.sorted().filtered(lambda stage: not stage.fold)[:1]
