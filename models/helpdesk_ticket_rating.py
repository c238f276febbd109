from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.rating.models import rating_data


def is_low_rating(value):
    """Dissatisfied on the emailed smileys (1), or 1 or 2 on the agents' 1–5 scale."""
    return rating_data.RATING_LIMIT_MIN <= value < rating_data.RATING_LIMIT_OK


class HelpdeskTicket(models.Model):
    """Customer ratings of the ticket (``rating.mixin``): requests, the validity of their links,
    low-rating alerts and reopening, ratings recorded by agents."""

    _inherit = 'helpdesk.ticket'

    # ------------------------------------------------------------
    # RATINGS
    # ------------------------------------------------------------

    def _rating_get_parent_field_name(self):
        return 'team_id'

    def _rating_apply_get_default_subtype_id(self):
        return self.env['ir.model.data']._xmlid_to_res_id('helpdesk_sla.mt_ticket_rating')

    def rating_send_request(self, template, lang=False, force_send=True):
        """Stamp when the request went out: its link's validity counts from there, also when a
        request still unanswered is sent again (the rating module reuses its token)."""
        result = super().rating_send_request(template, lang=lang, force_send=force_send)
        self.sudo().rating_ids.filtered(lambda rating: not rating.consumed).helpdesk_request_date = \
            fields.Datetime.now()
        return result

    def _rating_link_state(self, rating):
        """What the customer's link of ``rating`` may do now: 'valid'; 'expired' (sent longer
        ago than the team's ``rating_validity_days``); 'reopened' (the ticket went back to work
        after the link was sent: the rating would judge work still in progress)."""
        self.ensure_one()
        sent = rating.helpdesk_request_date or rating.create_date
        days = self.team_id.rating_validity_days
        if days and sent + timedelta(days=days) < fields.Datetime.now():
            return 'expired'
        if not self.is_closed and self.date_last_stage_update and self.date_last_stage_update > sent:
            return 'reopened'
        return 'valid'

    def rating_apply(self, rate, token=None, rating=None, feedback=None,
                     subtype_xmlid=None, notify_delay_send=False):
        """Besides recording the rating: keep its reasons only while it is low, show them (and
        who recorded it, for an agent's wizard) in its chatter message; the first time the rating
        is low, alert the team (a customer changing their mind back and forth alerts once) and,
        when the team asks for it, reopen the ticket."""
        if token:
            rating = self.env['rating.rating'].search([('access_token', '=', token)], limit=1)
        rating = super().rating_apply(
            rate, rating=rating, feedback=feedback,
            subtype_xmlid=subtype_xmlid, notify_delay_send=notify_delay_send)
        low = is_low_rating(rating.rating)
        if not low and rating.helpdesk_reason_ids:
            rating.sudo().helpdesk_reason_ids = False
        self._rating_post_details(rating)
        if low and not rating.helpdesk_alert_date:
            rating.sudo().helpdesk_alert_date = fields.Datetime.now()
            self._rating_alert_low(rating)
        if low and self.team_id.reopen_on_low_rating and self.is_closed:
            self._rating_reopen(rating)
        return rating

    def _rating_post_details(self, rating):
        """Add the reasons ticked and who recorded the rating (context key
        ``helpdesk_rating_recorded_by``: a sentence) to the rating's chatter message."""
        details = Markup()
        if rating.helpdesk_reason_ids:
            details += Markup("<p>%s</p>") % self.env._(
                "Reasons: %s", ", ".join(rating.helpdesk_reason_ids.mapped('name')))
        recorded_by = self.env.context.get('helpdesk_rating_recorded_by')
        if recorded_by:
            details += Markup("<p><em>%s</em></p>") % recorded_by
        message = rating.sudo().message_id
        if details and message:
            message.body = (message.body or Markup()) + details

    def _get_rating_followup_users(self):
        """Who follows up a low rating: the team's alert user, else its leader, else the
        ticket's agent, else the helpdesk managers of the ticket's company."""
        self.ensure_one()
        team = self.team_id
        for user in (team.rating_alert_user_id, team.leader_id, self.user_id):
            if user.active and not user.share:
                return user
        managers = self.env.ref('helpdesk_sla.group_helpdesk_manager').sudo().all_user_ids
        return managers.filtered(
            lambda user: user.active and not user.share and self.company_id in user.company_ids
        ).sorted('id')

    def _rating_alert_low(self, rating):
        """Post an internal note and give a follow-up activity to each of
        ``_get_rating_followup_users``."""
        self.ensure_one()
        ticket = self._as_automation()
        responsibles = ticket._get_rating_followup_users()
        body = Markup("<p>%s</p>") % self.env._(
            "Low customer rating: %(value)s/5 from %(customer)s.",
            value=f"{rating.rating:g}",
            customer=rating.partner_id.name or ticket.partner_name or self.env._("the customer"))
        if rating.feedback:
            body += Markup("<blockquote>%s</blockquote>") % rating.feedback
        if rating.helpdesk_reason_ids:
            body += Markup("<p>%s</p>") % self.env._(
                "Reasons: %s", ", ".join(rating.helpdesk_reason_ids.mapped('name')))
        if responsibles:
            body += Markup("<p>%s</p>") % self.env._(
                "A follow-up activity is assigned to %s.", ", ".join(responsibles.mapped('name')))
        else:
            body += Markup("<p>%s</p>") % self.env._(
                "Nobody could be given a follow-up activity: set a team leader or a helpdesk manager.")
        ticket.message_post(body=body, subtype_xmlid='mail.mt_note')
        for user in responsibles:
            ticket.activity_schedule(
                'helpdesk_sla.mail_activity_type_low_rating',
                user_id=user.id,
                note=rating.feedback and Markup("<p>%s</p>") % rating.feedback,
            )

    def _rating_reopen(self, rating):
        """Back to the team's first open stage, a next-response SLA window opened as for a
        customer message, and a note that notifies the ticket's agent."""
        self.ensure_one()
        ticket = self._as_automation()
        stage = ticket.team_id._get_first_open_stage()
        if not stage:
            return
        ticket.write({'stage_id': stage.id})
        ticket._sla_on_customer_message(fields.Datetime.now())
        agent = ticket.user_id.partner_id
        body = Markup("<p>%s</p>") % self.env._(
            "Reopened after a low customer rating (%(value)s/5): back to %(stage)s.",
            value=f"{rating.rating:g}", stage=stage.name)
        if agent:
            body = Markup("<p>%s</p>") % self.env._(
                "%(agent)s, this ticket is reopened after a low customer rating (%(value)s/5): "
                "back to %(stage)s.", agent=agent.name, value=f"{rating.rating:g}", stage=stage.name)
        ticket.message_post(body=body, subtype_xmlid='mail.mt_note', partner_ids=agent.ids)

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

    @api.readonly
    def action_open_ratings(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.rating_rating_action_helpdesk')
        action.update({
            'name': self.env._("Ratings of %s", self.display_name),
            'domain': [('res_model', '=', self._name), ('res_id', '=', self.id), ('consumed', '=', True)],
            'context': {},
        })
        return action
