from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from odoo.addons.helpdesk_sla.models.helpdesk_ticket_document import DOCUMENT_MODELS

from .common import HelpdeskCommon

OPTIONAL_APPS = ('sale', 'account', 'stock', 'repair', 'project', 'im_livechat')


@tagged('post_install', '-at_install')
class TestTicketDocumentWithoutApps(HelpdeskCommon):
    """The addon stays light: none of the after-sales apps is a dependency, the document
    picker offers only the models present, and the after-sales buttons stay hidden."""

    def test_no_hard_dependency_on_apps(self):
        module = self.env['ir.module.module'].search([('name', '=', 'helpdesk_sla')])
        direct = set(module.dependencies_id.mapped('name'))
        self.assertIn('sms', direct)
        self.assertFalse(direct & set(OPTIONAL_APPS))

    def test_selection_follows_registry(self):
        expected = [model for model in DOCUMENT_MODELS if model in self.env]
        selection = self.env['helpdesk.ticket']._fields['document_ref']._description_selection(self.env)
        self.assertEqual([model for model, _label in selection], expected)
        ticket = self._create_ticket()
        self.assertEqual(ticket.has_document_models, bool(expected))
        if not expected:
            self.assertFalse(ticket.document_ref_domains)

    def test_buttons_hidden_without_document(self):
        ticket = self._create_ticket()
        self.assertFalse(ticket.document_ref)
        self.assertRecordValues(ticket, [{
            'document_display_name': False,
            'can_ticket_refund': False,
            'can_ticket_return': False,
            'can_ticket_repair': False,
        }])
        for action in ('action_ticket_refund', 'action_ticket_return', 'action_ticket_repair',
                       'action_open_document'):
            with self.subTest(action=action), self.assertRaises(UserError):
                getattr(ticket.with_user(self.agent), action)()
        # the form (with the reference widget and the hidden buttons) loads and saves
        with Form(ticket.with_user(self.agent)) as form:
            form.name = "Printer on fire, again"
        self.assertEqual(ticket.name, "Printer on fire, again")
