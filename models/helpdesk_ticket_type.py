from odoo import fields, models


class HelpdeskTicketType(models.Model):
    _name = 'helpdesk.ticket.type'
    _description = "Helpdesk Ticket Type"
    _order = 'sequence, name'

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)

    _name_uniq = models.Constraint('UNIQUE(name)', "A ticket type with this name already exists.")
