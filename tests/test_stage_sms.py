from odoo.addons.sms.tests.common import SMSCase

from .common import HelpdeskCommon


class TestStageSms(HelpdeskCommon, SMSCase):
    """Reaching a stage with an SMS template texts the customer: the SMS is queued in
    ``sms.sms``, logged on the ticket, and sent by the SMS queue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sms_template = cls.env['sms.template'].create({
            'name': "Solved",
            'model_id': cls.env['ir.model']._get_id('helpdesk.ticket'),
            'body': "Hello {{ object.partner_id.name }}, {{ object.ticket_ref }} is solved.",
        })
        cls.stage_solved.sms_template_id = cls.sms_template
        cls.no_phone = cls.env['res.partner'].create({'name': "No Phone", 'email': 'nophone@example.com'})

    def _ticket_sms(self, ticket):
        return self.env['sms.sms'].sudo().search([
            ('mail_message_id.model', '=', 'helpdesk.ticket'), ('mail_message_id.res_id', '=', ticket.id)])

    def test_stage_sms_queued_then_sent(self):
        ticket = self._create_ticket()
        other = self._create_ticket(partner_id=self.no_phone.id)
        with self.mockSMSGateway():
            (ticket | other).with_user(self.agent).stage_id = self.stage_progress
            self.assertFalse(self._ticket_sms(ticket), "a stage without SMS template texts nobody")
            (ticket | other).with_user(self.agent).stage_id = self.stage_solved
        self.assertFalse(self._sms, "nothing is sent on the stage change: the SMS waits in the queue")
        sms = self._ticket_sms(ticket)
        # E.164 when the phonenumbers library is installed, else the number as typed
        number = self.customer._phone_format() or self.customer.phone
        self.assertRecordValues(sms, [{
            'state': 'outgoing',
            'number': number,
            'partner_id': self.customer.id,
            'body': f"Hello Customer Carla, {ticket.ticket_ref} is solved.",
        }])
        self.assertEqual(sms.mail_message_id.message_type, 'sms', "the SMS is logged in the ticket's chatter")
        self.assertFalse(self._ticket_sms(other), "a customer without phone gets no SMS")

        with self.mockSMSGateway(), self.enter_registry_test_mode():
            self.env.ref('sms.ir_cron_sms_scheduler_action').sudo().method_direct_trigger()
        self.assertIn({'number': number, 'body': sms.body}, [
            {'number': sent['number'], 'body': sent['body']} for sent in self._sms])

    def test_stage_sms_only_on_reaching(self):
        ticket = self._create_ticket(stage_id=self.stage_solved.id)
        self.assertFalse(self._ticket_sms(ticket), "a ticket created in the stage did not reach it")
        ticket.write({'priority': '2', 'stage_id': self.stage_solved.id})
        self.assertFalse(self._ticket_sms(ticket), "staying in the stage is not reaching it")
