from odoo import api, models


class HelpdeskTicket(models.Model):
    """New tickets are acknowledged to the customer with the first stage's email template."""

    _inherit = 'helpdesk.ticket'

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._send_acknowledgement()
        return tickets

    def _send_acknowledgement(self):
        """Email the customers of new tickets the template of the stage they start in, when
        their team acknowledges new tickets: on the ticket for a known contact, else straight
        to the email address the request came from."""
        tickets = self._as_automation().filtered(
            lambda ticket: ticket.team_id.use_acknowledgement and ticket.stage_id.template_id
            and not ticket.is_closed and (ticket.partner_id.email or ticket.partner_email))
        for template, batch in tickets.grouped(lambda ticket: ticket.stage_id.template_id).items():
            with_partner = batch.filtered('partner_id')
            if with_partner:
                with_partner.message_post_with_source(
                    template,
                    message_type='auto_comment',
                    subtype_xmlid='mail.mt_note',
                    email_layout_xmlid='mail.mail_notification_light',
                    force_send=False,
                )
            for ticket in batch - with_partner:
                template.send_mail(ticket.id, email_layout_xmlid='mail.mail_notification_light')
