from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command, Domain

TICKET_PRIORITIES = [
    ('0', "Low"),
    ('1', "Medium"),
    ('2', "High"),
    ('3', "Urgent"),
]


class HelpdeskTicket(models.Model):
    """A customer request handled by a helpdesk team."""

    _name = 'helpdesk.ticket'
    _description = "Helpdesk Ticket"
    _inherit = ['mail.thread.cc', 'mail.activity.mixin', 'mail.tracking.duration.mixin']
    _order = 'priority desc, id desc'
    _primary_email = 'partner_email'
    _track_duration_field = 'stage_id'
    _rec_names_search = ['name', 'ticket_ref', 'partner_name', 'partner_email']
    _mail_post_access = 'read'

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    def _default_team_id(self):
        team_id = self.env.context.get('default_team_id')
        if team_id:
            return self.env['helpdesk.team'].browse(team_id)
        Team = self.env['helpdesk.team']
        return (Team.search([('member_ids', 'in', self.env.uid)], limit=1)
                or Team.search([], limit=1))

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(string="Subject", required=True, tracking=True)
    ticket_ref = fields.Char(string="Reference", readonly=True, copy=False, index='btree_not_null')
    description = fields.Html(sanitize_style=True)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    team_id = fields.Many2one(
        'helpdesk.team', string="Team", tracking=True, index=True,
        default=_default_team_id, check_company=True)
    company_id = fields.Many2one(
        'res.company', compute='_compute_company_id', store=True, readonly=False, index=True)
    user_id = fields.Many2one(
        'res.users', string="Assigned to", tracking=True, index=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]")
    partner_id = fields.Many2one('res.partner', string="Customer", tracking=True, index=True)
    partner_name = fields.Char(
        string="Customer Name", compute='_compute_partner_contact', store=True, readonly=False)
    partner_email = fields.Char(
        string="Customer Email", compute='_compute_partner_contact', store=True, readonly=False)
    partner_phone = fields.Char(
        string="Customer Phone", compute='_compute_partner_contact', store=True, readonly=False)
    priority = fields.Selection(
        TICKET_PRIORITIES, default='0', required=True, tracking=True, index=True)
    tag_ids = fields.Many2many('helpdesk.tag', string="Tags")
    ticket_type_id = fields.Many2one('helpdesk.ticket.type', string="Type", index='btree_not_null')
    stage_id = fields.Many2one(
        'helpdesk.stage', string="Stage", compute='_compute_stage_id', store=True, readonly=False,
        tracking=True, index=True, copy=False, ondelete='restrict',
        group_expand='_read_group_stage_ids', domain="[('team_ids', 'in', team_id)]")
    is_closed = fields.Boolean(
        string="Closed", related='stage_id.fold', store=True, index=True,
        help="The ticket sits in a folded (closing) stage.")
    assign_date = fields.Datetime(string="First Assigned On", readonly=True, copy=False)
    date_started = fields.Datetime(
        string="Work Started On", readonly=True, copy=False,
        help="When the ticket first left the first stage of its team.")
    close_date = fields.Datetime(string="Closed On", readonly=True, copy=False, index=True)
    date_last_stage_update = fields.Datetime(
        string="Last Stage Update", readonly=True, copy=False, index=True)
    reopen_count = fields.Integer(
        string="Reopened", readonly=True, copy=False,
        help="How many times the ticket went back from a closing stage to an open one.")
    merged_into_id = fields.Many2one(
        'helpdesk.ticket', string="Merged Into", readonly=True, copy=False, index='btree_not_null')

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends('ticket_ref')
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = (
                f"{ticket.name} (#{ticket.ticket_ref})" if ticket.ticket_ref else ticket.name or "")

    @api.depends('team_id')
    def _compute_company_id(self):
        for ticket in self:
            ticket.company_id = ticket.team_id.company_id or ticket.company_id or self.env.company

    @api.depends('partner_id')
    def _compute_partner_contact(self):
        for ticket in self.filtered('partner_id'):
            partner = ticket.partner_id
            ticket.partner_name = partner.name
            ticket.partner_email = partner.email
            ticket.partner_phone = partner.phone

    @api.depends('team_id')
    def _compute_stage_id(self):
        first_stages = self.env['helpdesk.team']._get_first_stage(self.team_id.ids)
        for ticket in self:
            if not ticket.team_id:
                ticket.stage_id = False
            elif ticket.stage_id not in ticket.team_id.stage_ids:
                ticket.stage_id = first_stages[ticket.team_id.id]

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        """Show every stage of the team in the kanban, also the empty ones."""
        team_id = self.env.context.get('default_team_id')
        search_domain = Domain('id', 'in', stages.ids)
        if team_id:
            search_domain |= Domain('team_ids', 'in', team_id)
        return stages.search(search_domain, order=stages._order)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        sequence = self.env['ir.sequence']
        for vals in vals_list:
            vals.setdefault('ticket_ref', sequence.next_by_code('helpdesk.ticket'))
            vals['date_last_stage_update'] = now
            if vals.get('user_id'):
                vals['assign_date'] = now
        tickets = super().create(vals_list)
        tickets.filtered('is_closed').close_date = now
        tickets._subscribe_customers()
        return tickets

    def write(self, vals):
        if 'stage_id' not in vals and not vals.get('user_id'):
            return super().write(vals)
        now = fields.Datetime.now()
        if 'stage_id' in vals:
            vals['date_last_stage_update'] = now
        new_stage = self.env['helpdesk.stage'].browse(vals.get('stage_id'))
        first_stages = self.env['helpdesk.team']._get_first_stage(self.team_id.ids)
        batches = defaultdict(lambda: self.browse())
        for ticket in self:
            stamps = []
            if vals.get('user_id') and not ticket.assign_date:
                stamps.append('assign_date')
            if 'stage_id' in vals and new_stage != ticket.stage_id:
                if not ticket.date_started and ticket.stage_id == first_stages.get(ticket.team_id.id):
                    stamps.append('date_started')
                if new_stage.fold and not ticket.is_closed:
                    stamps.append('close_date')
                elif ticket.is_closed and not new_stage.fold:
                    stamps.append('reopen')
            batches[tuple(stamps)] |= ticket
        for stamps, tickets in batches.items():
            batch_vals = dict(vals)
            for stamp in stamps:
                if stamp == 'reopen':
                    batch_vals['close_date'] = False
                else:
                    batch_vals[stamp] = now
            super(HelpdeskTicket, tickets).write(batch_vals)
            if 'reopen' in stamps:
                for ticket in tickets:
                    ticket.reopen_count += 1
        if vals.get('partner_id'):
            self._subscribe_customers()
        return True

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        return [dict(vals, name=self.env._("%s (copy)", ticket.name))
                for ticket, vals in zip(self, vals_list, strict=True)]

    def _subscribe_customers(self):
        """Make each ticket's customer a follower, so agent replies reach them."""
        by_partner = defaultdict(lambda: self.browse())
        for ticket in self.filtered('partner_id'):
            by_partner[ticket.partner_id] |= ticket
        for partner, tickets in by_partner.items():
            tickets.message_subscribe(partner_ids=partner.ids)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_assign_to_me(self):
        if not self.env.user._is_internal():
            raise UserError(self.env._("Only internal users can take tickets."))
        self.user_id = self.env.user

    def action_open_merged_into(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'helpdesk.ticket',
            'res_id': self.merged_into_id.id,
            'view_mode': 'form',
        }

    # ------------------------------------------------------------
    # MAIL
    # ------------------------------------------------------------

    def _track_subtype(self, initial_values):
        self.ensure_one()
        if 'stage_id' in initial_values:
            return self.env.ref('helpdesk_sla.mt_ticket_stage')
        return super()._track_subtype(initial_values)

    def _creation_subtype(self):
        return self.env.ref('helpdesk_sla.mt_ticket_new')

    def _merge_into(self, target):
        """Move the conversation, followers and attachments of ``self`` onto ``target``
        and archive ``self`` with a link to it."""
        others = self - target
        if not others:
            return target
        self.env['mail.message'].sudo().search([
            ('model', '=', self._name), ('res_id', 'in', others.ids),
        ]).write({'res_id': target.id})
        self.env['ir.attachment'].sudo().search([
            ('res_model', '=', self._name), ('res_id', 'in', others.ids),
        ]).write({'res_id': target.id})
        target.message_subscribe(partner_ids=others.message_partner_ids.ids)
        target.write({
            'tag_ids': [Command.link(tag.id) for tag in others.tag_ids],
            'priority': max([target.priority] + others.mapped('priority')),
        })
        target.message_post(
            body=self.env._("Merged tickets: %s", ", ".join(others.mapped('display_name'))),
            subtype_xmlid='mail.mt_note')
        others.write({'merged_into_id': target.id, 'active': False})
        for ticket in others:
            ticket.message_post(
                body=self.env._("Merged into %s", target._get_html_link()),
                subtype_xmlid='mail.mt_note')
        return target
