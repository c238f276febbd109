from odoo import models


class HelpdeskTicket(models.Model):
    """Texting the customer when a ticket reaches a stage with an SMS template."""

    _inherit = 'helpdesk.ticket'

    def _phone_get_number_fields(self):
        return ['partner_phone']

    def _send_stage_emails(self):
        result = super()._send_stage_emails()
        self._send_stage_sms()
        return result

    def _send_stage_sms(self):
        """Queue the SMS of the stage each ticket just reached, one mass composer per
        template, to the tickets whose customer has a phone number; each SMS is logged
        in the ticket's chatter and sent by the SMS queue."""
        tickets = self._as_automation().filtered(
            lambda ticket: ticket.stage_id.sms_template_id and ticket.partner_phone)
        for template, batch in tickets.grouped(lambda ticket: ticket.stage_id.sms_template_id).items():
            batch._message_sms_schedule_mass(
                template=template, number_field_name='partner_phone', mass_keep_log=True)
