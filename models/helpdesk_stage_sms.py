from odoo import fields, models


class HelpdeskStage(models.Model):
    """The SMS a stage texts to the customer."""

    _inherit = 'helpdesk.stage'

    sms_template_id = fields.Many2one(
        'sms.template', string="SMS Template",
        domain="[('model', '=', 'helpdesk.ticket')]",
        help="SMS texted to the customer's phone when a ticket reaches this stage. The SMS is queued: "
             "sending it needs SMS credits on the IAP account.")
