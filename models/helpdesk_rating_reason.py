from odoo import fields, models


class HelpdeskRatingReason(models.Model):
    """A reason a customer can tick on the rating page when they give a low score
    ("Too slow", "Not solved"...): stored on the rating, so low ratings can be counted by reason."""

    _name = 'helpdesk.rating.reason'
    _description = "Low Rating Reason"
    _order = 'sequence, id'

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _name_uniq = models.Constraint('UNIQUE(name)', "A reason with this name already exists.")
