from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

# The after-sales documents a ticket can be about, in the order the picker offers them.
# Each model is offered only when its app is installed; none of them is a dependency.
DOCUMENT_MODELS = (
    'sale.order',
    'account.move',
    'stock.picking',
    'stock.lot',
    'repair.order',
    'project.task',
)


class HelpdeskTicket(models.Model):
    """The business document a ticket is about, and the after-sales actions on it."""

    _inherit = 'helpdesk.ticket'

    document_ref = fields.Reference(
        selection='_selection_document_ref', string="Related Document",
        help="The sales order, invoice, delivery, lot/serial number, repair or task the request is about. "
             "Only the documents of the installed apps are offered.")
    document_ref_domains = fields.Json(
        compute='_compute_document_ref_domains',
        help="Per document model, the domain of the customer's own documents, used by the picker.")
    has_document_models = fields.Boolean(compute='_compute_has_document_models')
    document_display_name = fields.Char(string="Document", compute='_compute_document_actions')
    can_ticket_refund = fields.Boolean(compute='_compute_document_actions')
    can_ticket_return = fields.Boolean(compute='_compute_document_actions')
    can_ticket_repair = fields.Boolean(compute='_compute_document_actions')

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends('partner_id')
    def _compute_document_ref_domains(self):
        for ticket in self:
            commercial = ticket.partner_id.commercial_partner_id
            if not commercial:
                ticket.document_ref_domains = {}
                continue
            ticket.document_ref_domains = {
                model: domain for model in self._document_models()
                if (domain := ticket._document_partner_domain(model, commercial)) is not None
            }

    def _compute_has_document_models(self):
        self.has_document_models = bool(self._document_models())

    @api.depends('document_ref')
    def _compute_document_actions(self):
        for ticket in self:
            # sudo: the flags only say which button fits; the action itself runs with the agent's rights
            document = ticket._get_document()
            document = document and document.sudo()
            ticket.document_display_name = document.display_name if document else False
            ticket.can_ticket_refund = bool(
                document and document._name == 'account.move' and 'account.move.reversal' in self.env
                and document.move_type == 'out_invoice' and document.state == 'posted')
            ticket.can_ticket_return = bool(
                document and document._name == 'stock.picking' and 'stock.return.picking' in self.env
                and document.picking_type_code == 'outgoing' and document.state == 'done')
            ticket.can_ticket_repair = bool(
                document and document._name == 'stock.lot' and 'repair.order' in self.env)

    # ------------------------------------------------------------
    # SELECTION METHODS
    # ------------------------------------------------------------

    @api.model
    def _document_models(self):
        """The document models of :data:`DOCUMENT_MODELS` present in the registry."""
        return [model for model in DOCUMENT_MODELS if model in self.env]

    @api.model
    def _selection_document_ref(self):
        labels = {
            'sale.order': self.env._("Sales Order"),
            'account.move': self.env._("Invoice / Credit Note"),
            'stock.picking': self.env._("Delivery / Return"),
            'stock.lot': self.env._("Lot / Serial Number"),
            'repair.order': self.env._("Repair Order"),
            'project.task': self.env._("Task"),
        }
        return [(model, labels[model]) for model in self._document_models()]

    def _document_partner_domain(self, model, commercial):
        """The domain of ``model``'s documents belonging to the customer ``commercial`` (a
        commercial partner), or None when the model has no customer to filter on."""
        if model == 'stock.lot':
            # a lot knows the customers it was delivered to (searchable with 'in' only)
            customers = self.env['res.partner'].with_context(active_test=False).search(
                [('id', 'child_of', commercial.id)])
            return [('partner_ids', 'in', customers.ids)]
        if 'partner_id' not in self.env[model]._fields:
            return None
        domain = [('partner_id', 'child_of', commercial.id)]
        if model == 'account.move':
            domain.append(('move_type', 'in', ('out_invoice', 'out_refund')))
        return domain

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets.filtered('document_ref')._log_on_document()
        return tickets

    def write(self, vals):
        result = super().write(vals)
        if vals.get('document_ref'):
            self._log_on_document()
        return result

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_document(self):
        self.ensure_one()
        document = self._get_document()
        if not document:
            raise UserError(self.env._("This ticket is not linked to any document."))
        return document._get_records_action(name=document.display_name)

    def action_ticket_refund(self):
        """A credit note reversing the linked customer invoice, made by Accounting's own
        reversal wizard, opened in its form."""
        self.ensure_one()
        if not self.can_ticket_refund:
            raise UserError(self.env._("Refunds need a posted customer invoice as the ticket's document."))
        invoice = self._get_document()
        wizard = self.env['account.move.reversal'].with_context(
            active_model='account.move', active_ids=invoice.ids,
        ).create({
            'reason': self.env._("Ticket %(ticket)s", ticket=self.display_name),
            # the wizard's form proposes the invoice's journal; a programmatic create must say it
            'journal_id': invoice.journal_id.id,
        })
        action = wizard.refund_moves()
        self._after_sales_created(wizard.new_move_ids, self.env._("Credit note"))
        return action

    def action_ticket_return(self):
        """A return of everything the linked delivery shipped, made by Inventory's own
        return wizard, opened in its form (quantities can still be adjusted there)."""
        self.ensure_one()
        if not self.can_ticket_return:
            raise UserError(self.env._("Returns need a done delivery as the ticket's document."))
        delivery = self._get_document()
        wizard = self.env['stock.return.picking'].with_context(
            active_model='stock.picking', active_id=delivery.id, active_ids=delivery.ids,
        ).create({'picking_id': delivery.id})
        action = wizard.action_create_returns_all()
        self._after_sales_created(self.env['stock.picking'].browse(action['res_id']), self.env._("Return"))
        return action

    def action_ticket_repair(self):
        """A repair order for the linked lot/serial number and the ticket's customer."""
        self.ensure_one()
        if not self.can_ticket_repair:
            raise UserError(self.env._("Repairs need a lot or serial number as the ticket's document."))
        lot = self._get_document()
        repair = self.env['repair.order'].create({
            'product_id': lot.product_id.id,
            'lot_id': lot.id,
            'partner_id': self.partner_id.id,
            'internal_notes': Markup("<p>%s</p>") % self.env._(
                "Helpdesk ticket %(ticket)s: %(subject)s", ticket=self.ticket_ref or self.id, subject=self.name),
        })
        self._after_sales_created(repair, self.env._("Repair order"))
        return repair._get_records_action(name=repair.display_name)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_document(self):
        """The linked document if it still exists, else a falsy value."""
        self.ensure_one()
        document = self.document_ref
        return document.exists() if document else None

    def _log_on_document(self):
        """Show each ticket in the chatter of the document it links to."""
        for ticket in self:
            document = ticket._get_document()
            if document and hasattr(document, '_message_log'):
                # sudo: a note on the document's chatter, even for agents who may only read it
                document.sudo()._message_log(body=self.env._(
                    "Helpdesk ticket %(ticket)s is about this document.", ticket=ticket._get_html_link()))

    def _after_sales_created(self, documents, kind):
        """Link the after-sales ``documents`` just made back to the ticket: a note in their
        chatter, and one in the ticket's chatter saying what was created."""
        self.ensure_one()
        for document in documents:
            if hasattr(document, '_message_log'):
                document.sudo()._message_log(body=self.env._(
                    "Created from helpdesk ticket %(ticket)s.", ticket=self._get_html_link()))
            self.message_post(
                body=self.env._("%(kind)s %(document)s created.", kind=kind, document=document._get_html_link()),
                subtype_xmlid='mail.mt_note',
            )
