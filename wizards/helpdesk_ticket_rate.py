from odoo import api, fields, models

AGENT_RATING_SCALE = [
    ('1', "1 - Very dissatisfied"),
    ('2', "2 - Dissatisfied"),
    ('3', "3 - Neither"),
    ('4', "4 - Satisfied"),
    ('5', "5 - Very satisfied"),
]

RATING_SOURCES = [
    ('phone', "By phone"),
    ('chat', "By chat"),
    ('in_person', "In person"),
]


class HelpdeskTicketRate(models.TransientModel):
    """Record a customer rating given to an agent by phone or chat. It is stored like the
    emailed ones, as the customer's ``rating.rating`` of the ticket (1–5 is the rating
    module's own scale), so the figures and the low-rating alert make no difference."""

    _name = 'helpdesk.ticket.rate'
    _description = "Record a Customer Rating"

    ticket_id = fields.Many2one(
        'helpdesk.ticket', string="Ticket", required=True, ondelete='cascade')
    partner_id = fields.Many2one(related='ticket_id.partner_id', string="Customer")
    rating = fields.Selection(AGENT_RATING_SCALE, string="Rating", required=True)
    feedback = fields.Text(help="What the customer said, in their words where possible.")
    source = fields.Selection(
        RATING_SOURCES, string="Given", required=True, default='phone',
        help="How the customer gave the rating: the ticket's chatter says who recorded it and how.")

    @api.constrains('ticket_id')
    def _check_ticket_id(self):
        self.ticket_id._check_can_be_rated()

    def action_record_rating(self):
        self.ensure_one()
        ticket = self.ticket_id
        ticket._check_can_be_rated()
        ticket = ticket.with_context(helpdesk_rating_recorded_by=self._get_recorded_by())
        partner = ticket._rating_get_partner()
        # one rating per customer and ticket: a new call changes the customer's last rating
        rating = ticket.rating_ids.filtered(lambda rating: rating.partner_id == partner)[:1]
        if rating:
            ticket.rating_apply(int(self.rating), rating=rating, feedback=self.feedback)
        else:
            ticket.rating_apply(
                int(self.rating), token=ticket._rating_get_access_token(partner), feedback=self.feedback)
        return {'type': 'ir.actions.act_window_close'}

    def _get_recorded_by(self):
        """The chatter's mention of the agent who recorded the rating, e.g. "Recorded by Lena, by phone"."""
        return self.env._(
            "Recorded by %(agent)s, %(how)s.", agent=self.env.user.name,
            how=dict(self._fields['source']._description_selection(self.env))[self.source].lower())
