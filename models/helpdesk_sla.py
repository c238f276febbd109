from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

SLA_PRIORITY_ANY = 'any'


class HelpdeskSla(models.Model):
    """An SLA policy: tickets it matches must reach its target within ``time`` hours,
    counted on the team's working hours (or 24/7), the clock paused in excluded stages."""

    _name = 'helpdesk.sla'
    _description = "Helpdesk SLA Policy"
    _inherit = ['mail.thread', 'helpdesk.ticket.criteria']
    _order = 'team_id, sequence, id'

    name = fields.Char(required=True, translate=True, tracking=True)
    description = fields.Html(translate=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    team_id = fields.Many2one('helpdesk.team', required=True, index=True, tracking=True, ondelete='cascade')
    company_id = fields.Many2one(related='team_id.company_id', store=True, index=True)
    target_type = fields.Selection([
        ('first_response', "First Response"),
        ('resolution', "Resolution"),
        ('next_response', "Next Response"),
        ('assignment', "Assignment"),
        ('periodic_update', "Periodic Update"),
    ], string="Target", required=True, default='resolution', tracking=True,
        help="First response: reached by the first public reply of an agent or by reaching the stage.\n"
             "Resolution: reached when the ticket reaches the stage.\n"
             "Next response: every customer message after an agent reply opens a new window, "
             "reached by the next agent reply.\n"
             "Assignment: reached when the ticket first gets an agent (an internal target).\n"
             "Periodic update: while the ticket is open and not paused, an agent posts a public message "
             "every 'time' hours; each one reaches the running window and opens the next; closing ends it.")
    stage_id = fields.Many2one(
        'helpdesk.stage', string="Target Stage", tracking=True,
        domain="[('team_ids', 'in', team_id)]",
        help="The SLA is reached when the ticket reaches this stage or any later one.")
    time = fields.Float(
        string="Time to Reach", required=True, tracking=True, aggregator=False,
        help="Working hours (or hours, on 24/7) allowed to reach the target.")
    time_basis = fields.Selection([
        ('calendar', "Team working hours"),
        ('always', "24/7"),
    ], string="Counted On", required=True, default='calendar', tracking=True,
        help="Team working hours: the clock runs during the team calendar's attendances, "
             "minus its leaves and public holidays, in the calendar's time zone.")
    resource_calendar_id = fields.Many2one(related='team_id.resource_calendar_id', string="Working Hours")
    exclude_stage_ids = fields.Many2many(
        'helpdesk.stage', 'helpdesk_sla_excluded_stage_rel', 'sla_id', 'stage_id',
        string="Paused In", domain="[('team_ids', 'in', team_id)]",
        compute='_compute_exclude_stage_ids', store=True, readonly=False, precompute=True,
        help="The clock stops while the ticket sits in these stages (e.g. Waiting on Customer). "
             "A new policy pauses in the team's waiting stages.")
    warning_pct = fields.Float(
        string="Warning At (%)", default=80.0,
        help="The SLA is at risk once this share of its time is consumed.")
    # matching criteria (empty = any): types, tags, tiers and domain come from the criteria mixin
    priority = fields.Selection(
        selection_add=[(SLA_PRIORITY_ANY, "Any"), ('0',)], ondelete={SLA_PRIORITY_ANY: 'cascade'},
        default=SLA_PRIORITY_ANY, required=True, tracking=True,
        help="Only tickets of this priority; Any: every priority.")
    partner_ids = fields.Many2many('res.partner', string="Customers")
    show_to_customer = fields.Boolean(
        string="Show to Customer", tracking=True,
        help="The portal ticket page shows the customer this target's deadline, in their time zone "
             "(e.g. \"We aim to reply by Mon 23 Nov, 10:30\"), while it runs.")
    status_ids = fields.One2many('helpdesk.sla.status', 'sla_id', string="SLA Lines")

    _time_positive = models.Constraint('CHECK(time > 0)', "The time to reach an SLA target must be positive.")
    _warning_pct_range = models.Constraint(
        'CHECK(warning_pct > 0 AND warning_pct <= 100)', "The warning threshold is a percentage from 1 to 100.")

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    @api.depends('team_id')
    def _compute_exclude_stage_ids(self):
        """A policy pauses by default where its team waits on the customer; a policy that
        already pauses somewhere keeps its stages that still belong to its team."""
        for sla in self:
            team_stages = sla.team_id.stage_ids
            kept = sla.exclude_stage_ids & team_stages
            sla.exclude_stage_ids = kept or sla.team_id._get_customer_waiting_stages()

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains('stage_id', 'target_type')
    def _check_stage_id(self):
        for sla in self:
            if sla.target_type == 'resolution' and not sla.stage_id:
                raise ValidationError(self.env._("The resolution SLA “%s” needs a target stage.", sla.name))

    @api.constrains('time_basis', 'team_id')
    def _check_working_time(self):
        for sla in self.filtered(lambda s: s.time_basis == 'calendar'):
            calendar = sla.team_id.resource_calendar_id
            if not calendar:
                raise ValidationError(self.env._(
                    "The SLA “%(sla)s” counts working hours, but the team “%(team)s” has no working hours. "
                    "Set them on the team or count the SLA 24/7.", sla=sla.name, team=sla.team_id.name))
            calendar._helpdesk_check_working_time()

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    REPLAN_FIELDS = frozenset({'time', 'time_basis', 'exclude_stage_ids', 'warning_pct'})

    def write(self, vals):
        result = super().write(vals)
        if self.REPLAN_FIELDS & set(vals):
            self._replan_open_lines(sync_pauses='exclude_stage_ids' in vals)
        return result

    def _replan_open_lines(self, sync_pauses=False):
        """Re-plan the open SLA lines of these policies after a change of their target, basis,
        excluded stages or warning threshold. With ``sync_pauses`` (the excluded stages changed),
        the lines of tickets sitting in a stage now excluded pause, and those paused in a stage
        no longer excluded resume, first. Large sets go to the background, said in the chatter."""
        Status = self.env['helpdesk.sla.status'].sudo()
        if sync_pauses:
            now = fields.Datetime.now()
            for sla in self:
                open_lines = Domain('sla_id', '=', sla.id) & Domain('reached_datetime', '=', False)
                excluded = Domain('ticket_id.stage_id', 'in', sla.exclude_stage_ids.ids)
                Status.search(open_lines & Domain('pause_start', '=', False) & excluded)._pause(now)
                Status.search(open_lines & Domain('pause_start', '!=', False) & ~excluded)._resume(now)
        count, background = Status._request_replan('policy', slas=self)
        if background:
            for sla in self:
                sla.message_post(body=self.env._(
                    "The policy changed: its %s open SLA lines are being re-planned in the background.", count))
        return count, background

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_target_seconds(self):
        """The policy's time to reach its target, in (working) seconds."""
        self.ensure_one()
        return self.time * 3600.0

    def _match_tickets(self, tickets):
        """Map each policy of ``self`` to the subset of ``tickets`` it matches (one pass per policy)."""
        by_team = tickets.grouped('team_id')
        return {sla: sla._filter_matching(by_team.get(sla.team_id, tickets.browse())) for sla in self}

    def _filter_matching_fields(self, tickets):
        matched = super()._filter_matching_fields(tickets)
        if self.partner_ids and matched:
            partner_ids = set(self.partner_ids.ids)
            matched = matched.filtered(lambda ticket: not partner_ids.isdisjoint(
                (ticket.partner_id.id, ticket.partner_id.commercial_partner_id.id)))
        return matched

    def _is_reached_in_stage(self, stage):
        """A ticket in ``stage`` has reached this policy's target: the target stage or a
        later one, or any closing stage (closing a ticket ends its SLA lines)."""
        self.ensure_one()
        return stage.fold or bool(self.stage_id) and stage.sequence >= self.stage_id.sequence

    def _is_matrix_policy(self):
        """A policy the SLA matrix shows: one that matches tickets by priority only."""
        self.ensure_one()
        return not (self.ticket_type_ids or self.tag_ids or self.partner_category_ids or self.partner_ids
                    or self.domain)

    def _get_schedule_calendar(self):
        """The calendar the clock runs on, or an empty recordset for 24/7."""
        self.ensure_one()
        if self.time_basis == 'always':
            return self.env['resource.calendar']
        return self.team_id.resource_calendar_id

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.readonly
    def action_view_status(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._("SLA Lines of %s", self.name),
            'res_model': 'helpdesk.sla.status',
            'view_mode': 'list,form',
            'domain': [('sla_id', '=', self.id)],
        }
