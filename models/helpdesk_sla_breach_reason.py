from odoo import fields, models


class HelpdeskSlaBreachReason(models.Model):
    """Why an SLA target was missed (customer unreachable, waiting on a supplier, ...):
    agents pick one on failed or late lines, the SLA analysis groups breaches by it."""

    _name = 'helpdesk.sla.breach.reason'
    _description = "SLA Breach Reason"
    _order = 'sequence, name, id'

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)

