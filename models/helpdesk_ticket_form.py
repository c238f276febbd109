from odoo import fields, models


class HelpdeskTicket(models.Model):
    """What the web form keeps about who submitted a ticket: a keyed hash of the client's
    IP address (never the address itself), so the form can limit submissions per IP."""

    _inherit = 'helpdesk.ticket'

    form_submitter_key = fields.Char(
        string="Web Form Submitter Key", readonly=True, copy=False, groups='base.group_system',
        help="HMAC of the IP address the ticket was submitted from through the web form.")

    _form_submitter_idx = models.Index('(form_submitter_key, create_date) WHERE form_submitter_key IS NOT NULL')
