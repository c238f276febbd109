import logging
import re
from collections import defaultdict

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command, Domain
from odoo.tools.mail import email_normalize, email_split_and_format, parse_contact_from_email

from odoo.addons.rating.models import rating_data

from .helpdesk_sla_status import ALWAYS_ON, SlaClock

TICKET_PRIORITIES = [
    ('0', "Low"),
    ('1', "Medium"),
    ('2', "High"),
    ('3', "Urgent"),
]
TICKET_CHANNELS = [
    ('email', "Email"),
    ('web_form', "Web Form"),
    ('portal', "Portal"),
    ('phone', "Phone"),
    ('backend', "Backend"),
    ('api', "API"),
]
# Working hours stored for the reports: event date field -> hours field
WORKING_HOURS_FIELDS = {
    'assign_date': 'assign_hours',
    'date_first_response': 'first_response_hours',
    'close_date': 'close_hours',
}
# Changing one of these re-matches the ticket's SLA policies.
SLA_MATCH_FIELDS = {'priority', 'team_id', 'ticket_type_id', 'tag_ids', 'partner_id'}
SLA_STATUS_SEVERITY = ['reached', 'ongoing', 'warning', 'failed']
# a ticket reference quoted in an email subject: "Re: Printer on fire (#00042)", "[#00042]"
TICKET_REF_PATTERN = re.compile(r'#([\w/.-]+)')
AUTOMATED_PRECEDENCES = {'auto_reply', 'bulk', 'junk'}

_logger = logging.getLogger(__name__)


def is_automated_email(message):
    """Whether an email was sent by a program, not a person: ``Auto-Submitted`` other
    than ``no`` (RFC 3834: auto-replies, auto-generated mail), the ``X-Autoreply`` /
    ``X-Autorespond`` headers of older responders, or a bulk/junk/auto_reply ``Precedence``."""
    auto_submitted = str(message.get('Auto-Submitted') or '').split(';')[0].strip().lower()
    if auto_submitted and auto_submitted != 'no':
        return True
    if message.get('X-Autoreply') or message.get('X-Autorespond'):
        return True
    return str(message.get('Precedence') or '').strip().lower() in AUTOMATED_PRECEDENCES


def is_low_rating(value):
    """Dissatisfied on the emailed smileys (1), or 1 or 2 on the agents' 1–5 scale."""
    return rating_data.RATING_LIMIT_MIN <= value < rating_data.RATING_LIMIT_OK


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
    # SLA
    use_sla = fields.Boolean(related='team_id.use_sla')
    sla_status_ids = fields.One2many('helpdesk.sla.status', 'ticket_id', string="SLA Status", copy=False)
    sla_deadline = fields.Datetime(
        string="SLA Deadline", compute='_compute_sla_fields', store=True, index=True,
        help="The earliest deadline among the ticket's running SLA clocks (paused clocks excluded).")
    sla_status = fields.Selection([
        ('ongoing', "Ongoing"),
        ('warning', "At Risk"),
        ('failed', "Failed"),
        ('reached', "Reached"),
    ], string="SLA Status Summary", compute='_compute_sla_fields', store=True, index=True,
        help="The most severe status of the ticket's SLA lines.")
    sla_reached_late = fields.Boolean(
        string="SLA Reached Late", compute='_compute_sla_fields', store=True,
        help="At least one SLA target was reached after its deadline.")
    sla_success = fields.Boolean(
        string="SLA Success", compute='_compute_sla_fields', store=True,
        help="Every SLA target of the ticket was reached on time.")
    sla_fail_date = fields.Datetime(
        string="SLA Fails On", compute='_compute_sla_fields', store=True, index=True,
        help="From when the ticket counts as failing its SLA: the earliest deadline of its running clocks "
             "and of the paused ones that had failed before their pause. A clock paused in time does "
             "not fail while paused.")
    sla_fail = fields.Boolean(
        string="SLA Failed", compute='_compute_sla_fail', search='_search_sla_fail',
        help="A deadline has passed and its target is not reached.")
    sla_at_risk = fields.Boolean(
        string="SLA At Risk", compute='_compute_sla_live', search='_search_sla_at_risk')
    sla_paused = fields.Boolean(
        string="SLA Paused", compute='_compute_sla_live', search='_search_sla_paused')
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

    @api.depends('sla_status_ids.deadline', 'sla_status_ids.reached_datetime',
                 'sla_status_ids.pause_start', 'sla_status_ids.status', 'sla_status_ids.exceeded_hours')
    def _compute_sla_fields(self):
        for ticket in self:
            deadlines, fail_dates, statuses = [], [], []
            reached_late, success = False, bool(ticket.sla_status_ids)
            for line in ticket.sla_status_ids:
                statuses.append(line.status)
                if line.reached_datetime:
                    reached_late = reached_late or bool(line.exceeded_hours)
                    success = success and not line.exceeded_hours
                    continue
                success = False
                if not line.pause_start:
                    deadlines.append(line.deadline)
                    fail_dates.append(line.deadline)
                elif line.deadline < line.pause_start:
                    fail_dates.append(line.deadline)
            ticket.sla_deadline = min(deadlines, default=False)
            ticket.sla_fail_date = min(fail_dates, default=False)
            ticket.sla_status = max(statuses, key=SLA_STATUS_SEVERITY.index, default=False)
            ticket.sla_reached_late = reached_late
            ticket.sla_success = success

    @api.depends('sla_status_ids.deadline', 'sla_status_ids.reached_datetime',
                 'sla_status_ids.pause_start', 'sla_status_ids.warning_date')
    def _compute_sla_live(self):
        now = fields.Datetime.now()
        for ticket in self:
            running = ticket.sla_status_ids.filtered(lambda line: not line.reached_datetime)
            ticket.sla_paused = any(running.mapped('pause_start'))
            ticket.sla_at_risk = any(
                not line.pause_start and line.warning_date <= now <= line.deadline for line in running)

    @api.depends('sla_fail_date')
    def _compute_sla_fail(self):
        now = fields.Datetime.now()
        for ticket in self:
            ticket.sla_fail = bool(ticket.sla_fail_date) and ticket.sla_fail_date < now

    def _search_sla_fail(self, operator, value):
        """Compares the stored, indexed ``sla_fail_date`` with the current time."""
        if operator not in ('in', 'not in'):
            return NotImplemented
        now = fields.Datetime.now()
        if (operator == 'in') == (True in value):
            return Domain('sla_fail_date', '<', now)
        return Domain('sla_fail_date', '=', False) | Domain('sla_fail_date', '>=', now)

    def _search_sla_at_risk(self, operator, value):
        if operator not in ('in', 'not in'):
            return NotImplemented
        now = fields.Datetime.now()
        at_risk = Domain('sla_status_ids', 'any', [
            ('reached_datetime', '=', False), ('pause_start', '=', False),
            ('warning_date', '<=', now), ('deadline', '>=', now)])
        return at_risk if (operator == 'in') == (True in value) else ~at_risk

    def _search_sla_paused(self, operator, value):
        if operator not in ('in', 'not in'):
            return NotImplemented
        paused = Domain('sla_status_ids', 'any', [('reached_datetime', '=', False), ('pause_start', '!=', False)])
        return paused if (operator == 'in') == (True in value) else ~paused

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
        self.env['helpdesk.team'].sudo()._assign_tickets(tickets.sudo(), now)
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
    # SLA
    # ------------------------------------------------------------

    def _sla_matching_policies(self):
        """Map each active SLA policy of the tickets' teams (teams using SLAs) to the tickets it matches."""
        teams = self.team_id.filtered('use_sla')
        if not teams:
            return {}
        policies = self.env['helpdesk.sla'].sudo().search([('team_id', 'in', teams.ids)])
        return policies._match_tickets(self)

    def _sla_apply(self, new=False):
        """(Re)match SLA policies: new matches get a clock counted from the ticket's creation,
        clocks of policies that no longer match are dropped unless reached (kept as history).
        ``new``: the tickets were just created and have no clock yet."""
        tickets = self.sudo() if new else self.sudo().exists()
        if not tickets:
            return
        now = fields.Datetime.now()
        matches = tickets._sla_matching_policies()
        have = set()
        if not new:
            wanted = {(ticket.id, sla.id) for sla, matched in matches.items() for ticket in matched}
            existing = tickets.sla_status_ids
            stale = existing.filtered(
                lambda line: not line.reached_datetime and (line.ticket_id.id, line.sla_id.id) not in wanted)
            stale.unlink()
            kept = existing - stale
            for company, lines in kept.filtered(lambda line: line.company_id != line.ticket_id.company_id
                                                ).grouped(lambda line: line.ticket_id.company_id).items():
                lines.company_id = company
            have = {(line.ticket_id.id, line.sla_id.id) for line in kept}
        todo = [(sla, ticket) for sla, matched in matches.items() if sla.target_type != 'next_response'
                for ticket in matched if (ticket.id, sla.id) not in have]
        if not todo:
            return
        Status = self.env['helpdesk.sla.status'].sudo()
        clock = SlaClock(self.env, min(ticket.create_date for _sla, ticket in todo))
        # tickets created together share their start: one deadline per policy, start and pause
        clock_values, reached_in_stage = {}, {}
        vals_list, reach_at = [], []
        for sla, ticket in todo:
            start, stage = ticket.create_date, ticket.stage_id
            pause_start = (ticket.date_last_stage_update or start) if stage in sla.exclude_stage_ids else False
            key = (sla, start, pause_start)
            if key not in clock_values:
                clock_values[key] = Status._clock_values(clock, sla, start, 0.0, pause_start, now)
            vals_list.append(dict(clock_values[key], ticket_id=ticket.id, sla_id=sla.id,
                                  target_type=sla.target_type, company_id=ticket.company_id.id,
                                  team_id=ticket.team_id.id, priority=ticket.priority, start_date=start,
                                  pause_start=pause_start))
            if (sla, stage) not in reached_in_stage:
                reached_in_stage[sla, stage] = sla._is_reached_in_stage(stage)
            if reached_in_stage[sla, stage]:
                reach_at.append(ticket.date_last_stage_update or now)
            elif sla.target_type == 'first_response' and ticket.date_first_response:
                reach_at.append(ticket.date_first_response)
            else:
                reach_at.append(None)
        lines = Status._create_clocks(vals_list)
        for line, when in zip(lines, reach_at, strict=True):
            if when:
                line._reach(when)

    def _sla_on_stage_change(self, when):
        """Stage moved: reach the targets at or before the new stage (closing the ticket ends
        every clock), pause the clocks of policies excluding it, restart the others."""
        lines = self.sudo().sla_status_ids.filtered(lambda line: not line.reached_datetime)
        reached = lines.filtered(lambda line: line._is_target_stage_reached())
        running = lines - reached
        paused = running.filtered(lambda line: line.ticket_id.stage_id in line.sla_id.exclude_stage_ids)
        paused._pause(when)
        (running - paused)._resume(when)
        reached._reach(when)

    def _sla_on_agent_reply(self, when):
        """A public agent reply reaches first-response targets and open next-response windows."""
        first_replies = self.filtered(lambda ticket: not ticket.date_first_response).sudo()
        first_replies.date_first_response = when
        first_replies._reporting_stamp(('date_first_response',))
        self.sudo().sla_status_ids.filtered(
            lambda line: not line.reached_datetime and line.target_type in ('first_response', 'next_response')
        )._reach(when)

    def _sla_on_customer_message(self, when):
        """A customer message after an agent reply opens a next-response window (one at a time)."""
        tickets = self.sudo().filtered(lambda ticket: ticket.date_first_response and not ticket.is_closed)
        if not tickets:
            return
        open_pairs = {(line.ticket_id.id, line.sla_id.id) for line in tickets.sla_status_ids
                      if not line.reached_datetime}
        todo = [(sla, ticket) for sla, matched in tickets._sla_matching_policies().items()
                if sla.target_type == 'next_response'
                for ticket in matched if (ticket.id, sla.id) not in open_pairs]
        if not todo:
            return
        Status = self.env['helpdesk.sla.status'].sudo()
        clock = SlaClock(self.env, when)
        vals_list = []
        for sla, ticket in todo:
            pause_start = when if ticket.stage_id in sla.exclude_stage_ids else False
            values = Status._clock_values(clock, sla, when, 0.0, pause_start, when)
            vals_list.append(dict(values, ticket_id=ticket.id, sla_id=sla.id, target_type=sla.target_type,
                                  company_id=ticket.company_id.id, team_id=ticket.team_id.id,
                                  priority=ticket.priority, start_date=when,
                                  pause_start=pause_start))
        Status._create_clocks(vals_list)

    def _message_post_after_hook(self, message, msg_vals):
        """Public replies drive the response SLAs: an agent's reaches them, a customer's opens a window."""
        result = super()._message_post_after_hook(message, msg_vals)
        if message.message_type in ('comment', 'email') and message.subtype_id == self.env.ref('mail.mt_comment'):
            author_users = message.author_id.user_ids
            if author_users and not all(author_users.mapped('share')):
                self._sla_on_agent_reply(message.date)
            elif message.author_id or message.email_from:
                self._resume_on_customer_reply()
                self._sla_on_customer_message(message.date)
        return result

    def _resume_on_customer_reply(self):
        """The customer answered tickets waiting on them: back to work, in the team's reply stage
        (see ``helpdesk.team._get_reply_stage``); their SLA clocks resume with the stage change."""
        waiting = self.sudo().filtered(lambda ticket: not ticket.is_closed
                                       and ticket.stage_id in ticket.team_id._get_waiting_stages())
        for stage, tickets in waiting.grouped(lambda ticket: ticket.team_id._get_reply_stage()).items():
            if stage:
                tickets.filtered(lambda ticket, stage=stage: ticket.stage_id != stage
                                 )._as_automation().write({'stage_id': stage.id})

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

    # ------------------------------------------------------------
    # MAIL
    # ------------------------------------------------------------

    def _track_subtype(self, initial_values):
        self.ensure_one()
        if 'stage_id' in initial_values:
            return self.env.ref('helpdesk_sla.mt_ticket_stage')
        return super()._track_subtype(initial_values)

    def _creation_subtype(self):
        """Post (and notify) the creation where a team follower listens to new tickets; otherwise
        the creation is logged in one batch, which is much cheaper for bulk intake."""
        xmlid_to_id = self.env['ir.model.data']._xmlid_to_res_id
        team_subtype_id = xmlid_to_id('helpdesk_sla.mt_team_ticket_new')
        if team_subtype_id in self.team_id.message_follower_ids.subtype_ids.ids:
            return self.env['mail.message.subtype'].browse(xmlid_to_id('helpdesk_sla.mt_ticket_new'))
        return super()._creation_subtype()

    # ------------------------------------------------------------
    # MAIL GATEWAY
    # ------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A ticket from an email to a team alias: subject as title, body as description,
        the sender as customer when a contact has that email (case-insensitive), else
        their name and email kept on the ticket."""
        values = dict(custom_values or {})
        values.setdefault('name', (msg_dict.get('subject') or '').strip() or self.env._("No Subject"))
        values.setdefault('channel', 'email')
        if msg_dict.get('body'):
            values.setdefault('description', msg_dict['body'])
        email_from = msg_dict.get('email_from') or ''
        partner = self.env['res.partner'].browse(msg_dict.get('author_id')).exists()
        if not partner and email_normalize(email_from):
            partner = self._partner_find_from_emails_single([email_from], no_create=True)[:1]
        if partner:
            values.setdefault('partner_id', partner.id)
        elif 'partner_id' not in values:
            name, email = parse_contact_from_email(email_from)
            values.setdefault('partner_name', (name or email or '').strip().strip('"').strip() or False)
            values.setdefault('partner_email', email_normalize(email) or False)
        # the base implementation copies the raw sender into the primary email field
        sender = values.get('partner_email') if not values.get('partner_id') else False
        ticket = super(HelpdeskTicket, self.with_context(default_user_id=False)).message_new(
            dict(msg_dict, email_from=sender), custom_values=values)
        ticket._subscribe_cc_followers(msg_dict)
        return ticket

    def message_update(self, msg_dict, update_vals=None):
        self._subscribe_cc_followers(msg_dict)
        return super().message_update(msg_dict, update_vals=update_vals)

    def _subscribe_cc_followers(self, msg_dict):
        """Addresses in CC (our aliases aside) follow the tickets of teams allowing it;
        a contact is created for an address without one."""
        tickets = self.filtered(lambda ticket: ticket.team_id.allow_cc_followers)
        emails = [email for email in email_split_and_format(msg_dict.get('cc') or '') if email_normalize(email)]
        if not tickets or not emails:
            return
        for ticket in tickets:
            partners = ticket._partner_find_from_emails_single(emails)
            ticket.message_subscribe(partner_ids=partners.ids)

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        """Emails to a team alias that would create a ticket:

        * a ticket reference in the subject (``#00042``) sends the email to that ticket
          when the sender is its customer or one of its followers;
        * an automated email (auto-reply, bulk, see ``is_automated_email``) never creates a
          ticket: it goes to the sender's latest open ticket of the team, or is dropped
          with a logged reason."""
        model, thread_id, custom_values, _user_id, _alias = route
        if model == self._name and not thread_id:
            ticket = self._routing_find_referenced_ticket(message_dict)
            if not ticket and is_automated_email(message):
                ticket = self._routing_find_open_ticket_of_sender(message_dict, custom_values)
                if not ticket:
                    _logger.info(
                        "Routing mail from %s to %s with Message-Id %s: automated email (auto-reply or bulk) "
                        "not turned into a ticket, the sender has no open ticket",
                        message_dict.get('email_from'), message_dict.get('to'), message_dict.get('message_id'))
                    return False
            if ticket:
                _logger.info(
                    "Routing mail from %s with Message-Id %s: sent to ticket %s",
                    message_dict.get('email_from'), message_dict.get('message_id'), ticket.ticket_ref)
                route = (model, ticket.id, *route[2:])
        return super()._routing_check_route(message, message_dict, route, raise_exception=raise_exception)

    @api.model
    def _detect_loop_sender_domain(self, email_from_normalized):
        """Tickets recently created by the same sender (exact address, any case); none to
        count without a valid address, rather than every ticket lacking one."""
        if not email_from_normalized:
            return []
        return [('partner_email', '=ilike', email_from_normalized)]

    @api.model
    def _routing_find_referenced_ticket(self, message_dict):
        """The ticket whose reference the subject quotes (followed to the ticket it was
        merged into), if the sender is its customer or a follower."""
        refs = {ref.rstrip('./-') for ref in TICKET_REF_PATTERN.findall(message_dict.get('subject') or '')}
        sender = email_normalize(message_dict.get('email_from') or '')
        if not refs or not sender:
            return self.browse()
        for ticket in self.with_context(active_test=False).search([('ticket_ref', 'in', list(refs))]):
            hops = 0
            while ticket.merged_into_id and not ticket.active and hops < 10:
                ticket, hops = ticket.merged_into_id, hops + 1
            if ticket.active and sender in ticket._get_known_emails():
                return ticket.with_context(active_test=True)
        return self.browse()

    def _get_known_emails(self):
        """Normalized emails of the ticket's customer and followers."""
        self.ensure_one()
        emails = {email_normalize(self.partner_email or ''), self.partner_id.email_normalized}
        emails.update(self.message_partner_ids.mapped('email_normalized'))
        return emails - {False, None, ''}

    @api.model
    def _routing_find_open_ticket_of_sender(self, message_dict, custom_values):
        """The latest open ticket of the sender, in the alias's team when it has one."""
        sender = email_normalize(message_dict.get('email_from') or '')
        if not sender:
            return self.browse()
        domain = Domain('is_closed', '=', False) & (
            Domain('partner_email', '=ilike', sender) | Domain('partner_id.email_normalized', '=', sender))
        team_id = (custom_values or {}).get('team_id')
        if team_id:
            domain &= Domain('team_id', '=', team_id)
        return self.search(domain, order='id desc', limit=1)

    def _notify_get_reply_to(self, default=None, author_id=False):
        """Replies to ticket emails go to the team's alias when it has one."""
        with_alias = self.filtered(lambda ticket: ticket.team_id.sudo().alias_email)
        result = {}
        if with_alias:
            team_reply_to = with_alias.team_id.sudo()._notify_get_reply_to(default=default, author_id=author_id)
            result = {ticket.id: team_reply_to[ticket.team_id.id] for ticket in with_alias}
        others = self - with_alias
        if others or not self:
            result.update(super(HelpdeskTicket, others)._notify_get_reply_to(default=default, author_id=author_id))
        return result

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

    # ------------------------------------------------------------
    # STAGE EMAILS AND RATINGS
    # ------------------------------------------------------------

    def _as_automation(self):
        """``self`` in sudo for automated messages and activities, acting as OdooBot when
        the current user is no employee (a customer on the portal or a rating page), so
        those are not authored by the customer."""
        if self.env.user._is_internal():
            return self.sudo()
        return self.with_user(SUPERUSER_ID).sudo()

    def _send_stage_emails(self):
        """Send what the stage each ticket just reached sends to its customer: the stage's
        email template and, for teams with Customer Ratings on, its rating request."""
        tickets = self._as_automation()
        with_template = tickets.filtered(lambda ticket: ticket.stage_id.template_id)
        for template, batch in with_template.grouped(lambda ticket: ticket.stage_id.template_id).items():
            batch.message_post_with_source(
                template,
                message_type='auto_comment',
                subtype_xmlid='mail.mt_note',
                email_layout_xmlid='mail.mail_notification_light',
                notify_author_mention=True,
                force_send=False,
            )
        to_rate = tickets.filtered(
            lambda ticket: ticket.team_id.use_rating and ticket.stage_id.rating_template_id
            and ticket._rating_get_partner())
        for template, batch in to_rate.grouped(lambda ticket: ticket.stage_id.rating_template_id).items():
            batch.rating_send_request(template, force_send=False)

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
