from odoo import fields, models


class HelpdeskTicket(models.Model):
    """Tickets made from a Discuss or live-chat conversation with ``/ticket``."""

    _inherit = 'helpdesk.ticket'

    channel = fields.Selection(selection_add=[('chat', "Chat")], ondelete={'chat': 'set default'})
    origin_channel_id = fields.Many2one(
        'discuss.channel', string="Conversation", readonly=True, copy=False, index='btree_not_null',
        ondelete='set null', help="The conversation the ticket was created from with /ticket.")
