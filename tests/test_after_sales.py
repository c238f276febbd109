import shutil
import unittest

from markupsafe import Markup

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests import common as odoo_test_common

from .common import HelpdeskCommon
from .test_tour import CHROME_NAMES

# The apps the after-sales tests need; tools/test.sh installs them in its second pass.
APP_MODELS = ('sale.order', 'account.move.reversal', 'stock.return.picking', 'repair.order')


def _skip_without(env, models):
    missing = [model for model in models if model not in env]
    if missing:
        raise unittest.SkipTest(
            f"after-sales apps not installed ({', '.join(missing)} missing): run them with "
            "tools/test.sh, whose second pass installs sale_stock, repair and im_livechat")


def _links_to(messages, record):
    """Whether one of ``messages`` links ``record`` (``_get_html_link``)."""
    link = f'data-oe-model="{record._name}" data-oe-id="{record.id}"'
    return any(link in str(message.body).replace("'", '"') for message in messages)


@tagged('helpdesk_sla_apps', 'post_install', '-at_install')
class TestAfterSales(HelpdeskCommon):
    """With Sales, Inventory, Accounting and Repair installed: a ticket links the customer's
    sales order, invoice, delivery or serial number, and the after-sales buttons make the
    credit note, the return and the repair order through the apps' own wizards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _skip_without(cls.env, APP_MODELS)
        cls.after_sales_agent = new_test_user(
            cls.env, login='hd_after_sales', name="After-sales Agent", email='aftersales@example.com',
            groups='helpdesk_sla.group_helpdesk_user,sales_team.group_sale_salesman_all_leads,'
                   'account.group_account_invoice,stock.group_stock_user')
        cls.product = cls.env['product.product'].create({
            'name': "Espresso machine",
            'type': 'consu',
            'is_storable': True,
            'tracking': 'serial',
            'list_price': 300.0,
            'invoice_policy': 'order',
        })
        cls.lot = cls.env['stock.lot'].create({'name': "SN-0001", 'product_id': cls.product.id})
        warehouse = cls.env['stock.warehouse'].search([('company_id', '=', cls.env.company.id)], limit=1)
        cls.env['stock.quant']._update_available_quantity(
            cls.product, warehouse.lot_stock_id, 1.0, lot_id=cls.lot)
        cls.order = cls.env['sale.order'].create({
            'partner_id': cls.customer.id,
            'order_line': [Command.create({'product_id': cls.product.id, 'product_uom_qty': 1.0})],
        })
        cls.order.action_confirm()
        cls.delivery = cls.order.picking_ids
        cls.delivery.action_assign()
        cls.delivery.move_ids.picked = True
        cls.delivery.button_validate()
        cls.invoice = cls.order._create_invoices()
        cls.invoice.action_post()
        cls.other_customer = cls.env['res.partner'].create({'name': "Other Oscar"})
        cls.other_order = cls.env['sale.order'].create({
            'partner_id': cls.other_customer.id,
            'order_line': [Command.create({'product_id': cls.product.id, 'product_uom_qty': 2.0})],
        })

    def _ticket(self, document):
        return self._create_ticket(document_ref=f'{document._name},{document.id}').with_user(self.after_sales_agent)

    def _assert_linked_back(self, ticket, document):
        """The new document's chatter names the ticket, the ticket's chatter names the document."""
        self.assertTrue(_links_to(document.message_ids, ticket),
                        f"{document.display_name} names the ticket in its chatter")
        self.assertTrue(_links_to(ticket.sudo().message_ids, document), "the ticket's chatter says what was created")

    def test_document_selection_and_customer_picker(self):
        self.assertEqual(self.delivery.state, 'done')
        self.assertEqual(self.invoice.state, 'posted')
        selection = dict(self.env['helpdesk.ticket']._fields['document_ref']._description_selection(self.env))
        for model in ('sale.order', 'account.move', 'stock.picking', 'stock.lot', 'repair.order'):
            self.assertIn(model, selection)
        ticket = self._create_ticket().with_user(self.after_sales_agent)
        domains = ticket.document_ref_domains
        self.assertEqual(self.env['sale.order'].search(domains['sale.order']), self.order)
        self.assertEqual(self.env['account.move'].search(domains['account.move']), self.invoice)
        self.assertEqual(self.env['stock.picking'].search(domains['stock.picking']), self.delivery)
        self.assertEqual(self.env['stock.lot'].search(domains['stock.lot']), self.lot)
        ticket.partner_id = self.other_customer
        self.assertEqual(self.env['sale.order'].search(ticket.document_ref_domains['sale.order']), self.other_order)

    def test_link_shows_ticket_in_document_chatter(self):
        ticket = self._ticket(self.order)
        self.assertEqual(ticket.document_ref, self.order)
        self.assertEqual(ticket.document_display_name, self.order.display_name)
        self.assertTrue(_links_to(self.order.message_ids, ticket))
        action = ticket.action_open_document()
        self.assertEqual((action['res_model'], action['res_id']), ('sale.order', self.order.id))
        self.assertFalse(ticket.can_ticket_refund or ticket.can_ticket_return or ticket.can_ticket_repair,
                         "no after-sales button fits a sales order")

    def test_refund(self):
        ticket = self._ticket(self.invoice)
        self.assertTrue(ticket.can_ticket_refund)
        self.assertFalse(ticket.can_ticket_return or ticket.can_ticket_repair)
        action = ticket.action_ticket_refund()
        credit_note = self.env['account.move'].browse(action['res_id'])
        self.assertEqual(action['res_model'], 'account.move')
        self.assertRecordValues(credit_note, [{
            'move_type': 'out_refund',
            'reversed_entry_id': self.invoice.id,
            'partner_id': self.customer.id,
            'amount_total': self.invoice.amount_total,
            'state': 'draft',
        }])
        self.assertIn(ticket.ticket_ref, credit_note.ref, "the reversal reason names the ticket")
        self._assert_linked_back(ticket, credit_note)
        self.assertEqual(ticket.document_ref, self.invoice, "the ticket still links the invoice")

    def test_refund_needs_posted_invoice(self):
        draft = self.invoice.copy()
        ticket = self._ticket(draft)
        self.assertFalse(ticket.can_ticket_refund)

    def test_return(self):
        ticket = self._ticket(self.delivery)
        self.assertTrue(ticket.can_ticket_return)
        action = ticket.action_ticket_return()
        returned = self.env['stock.picking'].browse(action['res_id'])
        self.assertEqual(action['res_model'], 'stock.picking')
        self.assertRecordValues(returned, [{
            'return_id': self.delivery.id,
            'picking_type_code': 'incoming',
            'partner_id': self.customer.id,
        }])
        self.assertEqual(returned.move_ids.product_id, self.product)
        self.assertEqual(returned.move_ids.product_uom_qty, 1.0)
        self._assert_linked_back(ticket, returned)

    def test_repair(self):
        ticket = self._ticket(self.lot)
        self.assertTrue(ticket.can_ticket_repair)
        action = ticket.action_ticket_repair()
        repair = self.env['repair.order'].browse(action['res_id'])
        self.assertEqual(action['res_model'], 'repair.order')
        self.assertRecordValues(repair, [{
            'lot_id': self.lot.id,
            'product_id': self.product.id,
            'partner_id': self.customer.id,
        }])
        self._assert_linked_back(ticket, repair)


@tagged('helpdesk_sla_apps', 'post_install', '-at_install')
class TestTicketCommandLivechat(HelpdeskCommon):
    """``/ticket`` in a live-chat conversation makes the ticket for the visitor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _skip_without(cls.env, ('im_livechat.channel',))
        cls.visitor = cls.env['res.partner'].create({'name': "Vera Visitor", 'email': 'vera@example.com'})
        cls.livechat = cls.env['discuss.channel'].create({
            'name': "Vera Visitor, Agent Alice",
            'channel_type': 'livechat',
            'livechat_operator_id': cls.agent.partner_id.id,
            'channel_member_ids': [
                Command.create({'partner_id': cls.agent.partner_id.id, 'livechat_member_type': 'agent'}),
                Command.create({'partner_id': cls.visitor.id, 'livechat_member_type': 'visitor'}),
            ],
        })
        cls.livechat.message_post(
            body=Markup("<p>My espresso machine leaks</p>"), author_id=cls.visitor.id,
            message_type='comment', subtype_xmlid='mail.mt_comment')

    def test_livechat_ticket_for_visitor(self):
        self.assertEqual(self.livechat.livechat_customer_partner_ids, self.visitor)
        ticket_id = self.livechat.with_user(self.agent).execute_command_ticket(body="/ticket Leaking machine")
        ticket = self.env['helpdesk.ticket'].browse(ticket_id)
        self.assertRecordValues(ticket, [{
            'name': "Leaking machine",
            'partner_id': self.visitor.id,
            'origin_channel_id': self.livechat.id,
            'channel': 'chat',
        }])
        self.assertIn("Vera Visitor", str(ticket.description))
        self.assertIn("My espresso machine leaks", str(ticket.description))


@tagged('helpdesk_sla_apps', 'post_install', '-at_install')
class TestDocumentPickerTour(HttpCase):
    """In the ticket form, the Related Document picker lists the customer's documents only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _skip_without(cls.env, ('sale.order',))
        cls.agent = new_test_user(
            cls.env, login='picker_agent', name="Picker Agent", email='picker@example.com', tz='UTC',
            groups='helpdesk_sla.group_helpdesk_user,sales_team.group_sale_salesman_all_leads')
        stage = cls.env['helpdesk.stage'].create({'name': "Picker New", 'sequence': 1})
        team = cls.env['helpdesk.team'].create({
            'name': "Picker Desk",
            'member_ids': [Command.set(cls.agent.ids)],
            'stage_ids': [Command.set(stage.ids)],
            'privacy_visibility': 'internal',
        })
        customer, other = cls.env['res.partner'].create([{'name': "Carla Picker"}, {'name': "Oscar Picker"}])
        product = cls.env['product.product'].create({'name': "Descaling service", 'type': 'service'})
        cls.order_carla, cls.order_oscar = cls.env['sale.order'].create([{
            'name': name,
            'partner_id': partner.id,
            'order_line': [Command.create({'product_id': product.id})],
        } for name, partner in (("SO-CARLA", customer), ("SO-OSCAR", other))])
        cls.ticket = cls.env['helpdesk.ticket'].create({
            'name': "Descaling did not help", 'team_id': team.id, 'partner_id': customer.id})

    def test_document_picker_tour(self):
        if odoo_test_common.websocket is None:
            raise unittest.SkipTest("websocket-client is not installed: tours skipped")
        if not any(shutil.which(name) for name in CHROME_NAMES):
            raise unittest.SkipTest("no Chrome or Chromium found: tours skipped")
        self.start_tour(f'/odoo/helpdesk.ticket/{self.ticket.id}', 'helpdesk_sla_document_picker_tour',
                        login='picker_agent', timeout=180)
        self.assertEqual(self.ticket.document_ref, self.order_carla)
        self.assertTrue(_links_to(self.order_carla.message_ids, self.ticket))
