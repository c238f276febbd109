from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command, Domain

from ..core.constants import TICKET_CHANNELS, TICKET_PRIORITIES
from .helpdesk_sla_status import ALWAYS_ON

# Working hours stored for the reports: event date field -> hours field
WORKING_HOURS_FIELDS = {
    'assign_date': 'assign_hours',
    'date_first_response': 'first_response_hours',
    'close_date': 'close_hours',
}
# Changing one of these re-matches the ticket's SLA policies.
SLA_MATCH_FIELDS = {'priority', 'team_id', 'ticket_type_id', 'tag_ids', 'partner_id'}


class HelpdeskTicket(models.Model):
    """A customer request handled by a helpdesk team."""

    _name = 'helpdesk.ticket'
    _description = "Helpdesk Ticket"
    _inherit = ['mail.thread.cc', 'mail.activity.mixin', 'mail.tracking.duration.mixin', 'portal.mixin',
                'rating.mixin']
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
        'res.company', compute='_compute_company_id', store=True, readonly=False, precompute=True, index=True)
    user_id = fields.Many2one(
        'res.users', string="Assigned to", tracking=True, index=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]")
    partner_id = fields.Many2one('res.partner', string="Customer", tracking=True, index=True)
    partner_name = fields.Char(
        string="Customer Name", compute='_compute_partner_contact', store=True, readonly=False, precompute=True)
    partner_email = fields.Char(
        string="Customer Email", compute='_compute_partner_contact', store=True, readonly=False, precompute=True)
    partner_phone = fields.Char(
        string="Customer Phone", compute='_compute_partner_contact', store=True, readonly=False, precompute=True)
    priority = fields.Selection(
        TICKET_PRIORITIES, default='0', required=True, tracking=True, index=True)
    tag_ids = fields.Many2many('helpdesk.tag', string="Tags")
    ticket_type_id = fields.Many2one('helpdesk.ticket.type', string="Type", index='btree_not_null')
    stage_id = fields.Many2one(
        'helpdesk.stage', string="Stage", compute='_compute_stage_id', store=True, readonly=False,
        precompute=True, tracking=True, index=True, copy=False, ondelete='restrict',
        group_expand='_read_group_stage_ids', domain="[('team_ids', 'in', team_id)]")
    is_closed = fields.Boolean(
        string="Closed", related='stage_id.fold', store=True, precompute=True, index=True,
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
    date_first_response = fields.Datetime(
        string="First Response On", readonly=True, copy=False,
        help="When an agent first replied publicly to the customer.")
    # Reporting: set when the ticket is created or the event happens, read by the SQL reports
    channel = fields.Selection(
        TICKET_CHANNELS, default='backend', index=True,
        help="How the ticket reached the helpdesk; intake code sets it (context key default_channel).")
    assign_hours = fields.Float(
        string="Time to Assign (h)", readonly=True, copy=False,
        help="Working hours of the team's calendar between the creation and the first assignment.")
    first_response_hours = fields.Float(
        string="Time to First Response (h)", readonly=True, copy=False,
        help="Working hours of the team's calendar between the creation and the first agent reply.")
    close_hours = fields.Float(
        string="Time to Close (h)", readonly=True, copy=False,
        help="Working hours of the team's calendar between the creation and the closing.")
    is_first_contact_resolution = fields.Boolean(
        string="First Contact Resolution", readonly=True, copy=False,
        help="Closed after an agent reply with no customer message after the first agent reply.")
    # escalation and automation
    escalation_level = fields.Integer(
        readonly=True, copy=False, help="The highest escalation level applied to the ticket.")
    is_escalated = fields.Boolean(string="Escalated", readonly=True, copy=False, index=True)
    escalation_date = fields.Datetime(string="Escalated On", readonly=True, copy=False)
    escalation_log_ids = fields.One2many(
        'helpdesk.escalation.log', 'ticket_id', string="Escalation Log", readonly=True, copy=False)
    auto_close_reminder_date = fields.Datetime(
        string="Auto-close Reminder Sent On", readonly=True, copy=False,
        help="When the customer was last reminded that the ticket closes without an answer.")

    # dashboard counters of open tickets per team, and the archived tickets the reports leave out
    _open_team_idx = models.Index('(team_id, user_id, priority) WHERE is_closed IS NOT TRUE')
    _archived_idx = models.Index('(id) WHERE active IS NOT TRUE')

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends('ticket_ref')
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = (
                f"{ticket.name} (#{ticket.ticket_ref})" if ticket.ticket_ref else ticket.name or "")

    def _compute_access_url(self):
        for ticket in self:
            ticket.access_url = f'/my/tickets/{ticket.id}'

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
        refs = iter(self._next_ticket_refs(sum(1 for vals in vals_list if not vals.get('ticket_ref'))))
        for vals in vals_list:
            vals['ticket_ref'] = vals.get('ticket_ref') or next(refs)
            vals['date_last_stage_update'] = now
            if vals.get('user_id'):
                vals['assign_date'] = now
        self._apply_customer_tier_priority(vals_list)
        tickets = super().create(vals_list)
        tickets.filtered('is_closed').close_date = now
        self.env['helpdesk.assignment.rule'].sudo()._assign_tickets(tickets.sudo(), now)
        tickets._reporting_stamp(('assign_date', 'close_date'))
        tickets._subscribe_customers()
        tickets._sla_apply(new=True)
        return tickets

    def write(self, vals):
        if 'stage_id' not in vals and not vals.get('user_id'):
            result = super().write(vals)
            if SLA_MATCH_FIELDS.intersection(vals):
                self._sla_apply()
            return result
        now = fields.Datetime.now()
        if 'stage_id' in vals:
            vals['date_last_stage_update'] = now
        new_stage = self.env['helpdesk.stage'].browse(vals.get('stage_id'))
        first_stages = self.env['helpdesk.team']._get_first_stage(self.team_id.ids)
        reaching_stage = self.filtered(lambda ticket: ticket.stage_id != new_stage) \
            if 'stage_id' in vals else self.browse()
        batches = defaultdict(lambda: self.browse())
        for ticket in self:
            stamps = []
            if vals.get('user_id') and not ticket.assign_date and 'assign_date' not in vals:
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
            tickets._reporting_stamp(stamps)
            if 'reopen' in stamps:
                for ticket in tickets:
                    ticket.reopen_count += 1
        if vals.get('partner_id'):
            self._subscribe_customers()
        if SLA_MATCH_FIELDS.intersection(vals):
            self._sla_apply()
        if 'stage_id' in vals:
            self._sla_on_stage_change(now)
        reaching_stage._send_stage_emails()
        return True

    @api.model
    def _next_ticket_refs(self, count):
        """``count`` ticket references from the ticket sequence, looked up once per batch."""
        if not count:
            return []
        sequence = self.env['ir.sequence'].sudo().search([
            ('code', '=', 'helpdesk.ticket'), ('company_id', 'in', [self.env.company.id, False]),
        ], order='company_id', limit=1)
        if not sequence:
            return [self.env['ir.sequence'].next_by_code('helpdesk.ticket') for _i in range(count)]
        return [sequence._next() for _i in range(count)]

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        return [dict(vals, name=self.env._("%s (copy)", ticket.name))
                for ticket, vals in zip(self, vals_list, strict=True)]

    def _apply_customer_tier_priority(self, vals_list):
        """New tickets start at least at the priority their team gives their customer's
        tier (see ``helpdesk.customer.tier``)."""
        if not any(vals.get('partner_id') for vals in vals_list):
            return
        missing = [fname for fname in ('team_id', 'priority') if any(fname not in vals for vals in vals_list)]
        defaults = self.default_get(missing) if missing else {}
        priorities = self.env['helpdesk.customer.tier'].sudo()._get_priorities([
            (vals.get('team_id', defaults.get('team_id')), vals.get('partner_id')) for vals in vals_list])
        for vals, tier_priority in zip(vals_list, priorities, strict=True):
            if tier_priority and tier_priority > (vals.get('priority', defaults.get('priority')) or '0'):
                vals['priority'] = tier_priority

    def _subscribe_customers(self):
        """Make each ticket's customer a follower, so agent replies reach them."""
        by_partner = defaultdict(lambda: self.browse())
        for ticket in self.filtered('partner_id'):
            by_partner[ticket.partner_id] |= ticket
        for partner, tickets in by_partner.items():
            tickets.message_subscribe(partner_ids=partner.ids)


    # ------------------------------------------------------------
    # REPORTING
    # ------------------------------------------------------------

    def _reporting_stamp(self, events):
        """Store the report figures of the events just stamped on the tickets, so the SQL
        reports only read columns (one calendar expansion and one message query per batch):

        * ``assign_date``, ``date_first_response``, ``close_date``: working hours of the
          team's calendar (24/7 without one) from the ticket's creation to the event;
        * ``close_date`` also decides the first contact resolution; ``reopen`` clears both."""
        date_fnames = [fname for fname in WORKING_HOURS_FIELDS if fname in events]
        tickets = self.sudo()
        if not tickets or not (date_fnames or 'reopen' in events):
            return
        values = defaultdict(dict)
        events_by_calendar = defaultdict(list)
        for ticket in tickets:
            for fname in date_fnames:
                if ticket[fname]:
                    events_by_calendar[ticket.team_id.resource_calendar_id].append((ticket, fname))
        for calendar, stamped in events_by_calendar.items():
            # one expansion per calendar, over exactly the span the batch needs
            start = min(ticket.create_date for ticket, _fname in stamped)
            end = max(ticket[fname] for ticket, fname in stamped)
            schedule = calendar._helpdesk_schedule(start, end) if calendar and end > start else ALWAYS_ON
            for ticket, fname in stamped:
                seconds = schedule.elapsed(ticket.create_date, ticket[fname])
                values[ticket][WORKING_HOURS_FIELDS[fname]] = round(seconds / 3600.0, 4)
        if 'close_date' in events:
            closed = tickets.filtered('close_date')
            resolved_first = closed._get_first_contact_resolutions()
            for ticket in closed:
                values[ticket]['is_first_contact_resolution'] = ticket in resolved_first
        if 'reopen' in events:
            for ticket in tickets:
                values[ticket].update(close_hours=0.0, is_first_contact_resolution=False)
        # one write per distinct set of values: a batch stamped together mostly shares them
        batches = defaultdict(lambda: self.browse())
        for ticket, vals in values.items():
            batches[tuple(sorted(vals.items()))] |= ticket
        for items, batch in batches.items():
            batch.write(dict(items))

    def _get_first_contact_resolutions(self):
        """The tickets of ``self`` an agent replied to publicly, with no public customer
        message after that first reply (agents and customers told apart like the SLA hooks)."""
        replied = self.filtered('date_first_response')
        if not replied:
            return self.browse()
        messages = self.env['mail.message'].sudo().search([
            ('model', '=', self._name), ('res_id', 'in', replied.ids),
            ('message_type', 'in', ('comment', 'email')),
            ('subtype_id', '=', self.env['ir.model.data']._xmlid_to_res_id('mail.mt_comment')),
            ('date', '>', min(replied.mapped('date_first_response'))),
        ])
        first_reply = {ticket.id: ticket.date_first_response for ticket in replied}
        customer_replied = {
            message.res_id for message in messages
            if message.date > first_reply[message.res_id]
            and (message.author_id or message.email_from)
            and not (message.author_id.user_ids and not all(message.author_id.user_ids.mapped('share')))
        }
        return replied.filtered(lambda ticket: ticket.id not in customer_replied)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def _action_open_ticket_wizard(self, xmlid):
        """The window action ``xmlid`` of a wizard, opened on this ticket."""
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id(xmlid)
        action['context'] = {'default_ticket_id': self.id}
        return action

    def action_escalate(self):
        """Open the wizard escalating the ticket by hand to the next level."""
        return self._action_open_ticket_wizard('helpdesk_sla.helpdesk_ticket_escalate_action')

    def action_assign_to_me(self):
        if not self.env.user._is_internal():
            raise UserError(self.env._("Only internal users can take tickets."))
        self.user_id = self.env.user

    @api.readonly
    def action_open_merged_into(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'helpdesk.ticket',
            'res_id': self.merged_into_id.id,
            'view_mode': 'form',
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _portal_close(self, author):
        """Close the open tickets for their customer ``author`` (the portal's "Close this
        ticket"): each goes to its team's first closing stage, with a message saying who
        closed it. Returns the tickets closed."""
        by_stage = defaultdict(lambda: self.browse())
        for ticket in self.filtered(lambda ticket: not ticket.is_closed):
            stage = ticket.team_id.stage_ids.filtered('fold').sorted()[:1]
            if stage:
                by_stage[stage] |= ticket
        closed = self.browse()
        for stage, tickets in by_stage.items():
            tickets.stage_id = stage
            closed |= tickets
        for ticket in closed:
            ticket.message_post(
                body=self.env._("%s closed the ticket from the customer portal.", author.name),
                author_id=author.id, message_type='comment', subtype_xmlid='mail.mt_comment')
        return closed


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
