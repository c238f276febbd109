from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError

from odoo.addons.rating.models import rating_data


def is_low_rating(value):
    """Dissatisfied on the emailed smileys (1), or 1 or 2 on the agents' 1–5 scale."""
    return rating_data.RATING_LIMIT_MIN <= value < rating_data.RATING_LIMIT_OK


class HelpdeskTicket(models.Model):
    """Customer ratings of the ticket (``rating.mixin``): requests, low-rating alerts,
    ratings recorded by agents."""

    _inherit = 'helpdesk.ticket'

    # ------------------------------------------------------------
    # RATINGS
    # ------------------------------------------------------------

    def _rating_get_parent_field_name(self):
        return 'team_id'

    def _rating_apply_get_default_subtype_id(self):
        return self.env['ir.model.data']._xmlid_to_res_id('helpdesk_sla.mt_ticket_rating')

    def rating_apply(self, rate, token=None, rating=None, feedback=None,
                     subtype_xmlid=None, notify_delay_send=False):
        """Alert the team when the rating turns low (a changed low rating alerts once)."""
        if token:
            rating = self.env['rating.rating'].search([('access_token', '=', token)], limit=1)
        was_low = bool(rating) and rating.consumed and is_low_rating(rating.rating)
        rating = super().rating_apply(
            rate, token=token, rating=rating, feedback=feedback,
            subtype_xmlid=subtype_xmlid, notify_delay_send=notify_delay_send)
        if is_low_rating(rating.rating) and not was_low:
            self._rating_alert_low(rating)
        return rating

    def _rating_alert_low(self, rating):
        """Post an internal note and give the team's alert user (or leader) a follow-up activity."""
        self.ensure_one()
        ticket = self._as_automation()
        team = ticket.team_id
        responsible = team.rating_alert_user_id or team.leader_id
        body = Markup("<p>%s</p>") % self.env._(
            "Low customer rating: %(value)s/5 from %(customer)s.",
            value=f"{rating.rating:g}",
            customer=rating.partner_id.name or ticket.partner_name or self.env._("the customer"))
        if rating.feedback:
            body += Markup("<blockquote>%s</blockquote>") % rating.feedback
        if responsible:
            body += Markup("<p>%s</p>") % self.env._(
                "A follow-up activity is assigned to %s.", responsible.name)
        ticket.message_post(body=body, subtype_xmlid='mail.mt_note')
        if responsible:
            ticket.activity_schedule(
                'helpdesk_sla.mail_activity_type_low_rating',
                user_id=responsible.id,
                note=rating.feedback and Markup("<p>%s</p>") % rating.feedback,
            )

    def _check_can_be_rated(self):
        """Agents record ratings of solved or closed tickets only."""
        still_open = self.filtered(lambda ticket: not ticket.is_closed)
        if still_open:
            raise UserError(self.env._(
                "Only solved or closed tickets can be rated; %(tickets)s is still open (stage: %(stage)s).",
                tickets=", ".join(still_open.mapped('display_name')),
                stage=", ".join(still_open.stage_id.mapped('name')) or self.env._("none")))

    def action_record_rating(self):
        """Open the wizard recording a rating the customer gave by phone or chat."""
        return self._action_open_ticket_wizard('helpdesk_sla.helpdesk_ticket_rate_action')

    def action_open_ratings(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.rating_rating_action_helpdesk')
        action.update({
            'name': self.env._("Ratings of %s", self.display_name),
            'domain': [('res_model', '=', self._name), ('res_id', '=', self.id), ('consumed', '=', True)],
            'context': {},
        })
        return action
