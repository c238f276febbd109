from odoo import api, fields, models
from odoo.fields import Domain

DEFAULT_STAGE_XMLIDS = (
    'helpdesk_sla.stage_new',
    'helpdesk_sla.stage_in_progress',
    'helpdesk_sla.stage_waiting',
    'helpdesk_sla.stage_solved',
    'helpdesk_sla.stage_cancelled',
)


class HelpdeskTeam(models.Model):
    """A support team: its members, pipeline stages, working hours and policies."""

    _name = 'helpdesk.team'
    _description = "Helpdesk Team"
    _inherit = ['mail.thread']
    _order = 'sequence, name'

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    def _default_stage_ids(self):
        stages = self.env['helpdesk.stage']
        for xmlid in DEFAULT_STAGE_XMLIDS:
            stages |= self.env.ref(xmlid, raise_if_not_found=False) or stages.browse()
        return stages

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, translate=True, tracking=True)
    description = fields.Html(
        translate=True, help="Shown to customers above the team's ticket submit form.")
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    company_id = fields.Many2one(
        'res.company', required=True, index=True, default=lambda self: self.env.company)
    leader_id = fields.Many2one(
        'res.users', string="Team Leader", tracking=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Receives escalations and low-rating alerts of the team.")
    member_ids = fields.Many2many(
        'res.users', 'helpdesk_team_res_users_rel', 'team_id', 'user_id', string="Agents",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]")
    stage_ids = fields.Many2many(
        'helpdesk.stage', 'helpdesk_stage_team_rel', 'team_id', 'stage_id', string="Stages",
        default=_default_stage_ids)
    resource_calendar_id = fields.Many2one(
        'resource.calendar', string="Working Hours",
        default=lambda self: self.env.company.resource_calendar_id,
        domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
        help="Business hours on which SLA deadlines of this team are counted.")
    use_sla = fields.Boolean(string="SLA Policies", default=True)
    use_rating = fields.Boolean(string="Customer Ratings")
    assign_method = fields.Selection([
        ('manual', "Manually"),
        ('randomly', "Randomly"),
        ('balanced', "Balanced"),
    ], string="Assignment Method", default='manual', required=True,
        help="Manually: agents take tickets themselves.\n"
             "Randomly: every agent gets the same number of tickets over time.\n"
             "Balanced: the agent with the fewest open tickets gets the next one.")
    privacy_visibility = fields.Selection([
        ('invited_internal', "Invited internal users"),
        ('internal', "All internal users"),
        ('portal', "Invited portal users and all internal users"),
    ], string="Visibility", default='portal', required=True, tracking=True,
        help="Invited internal users: only the team's agents and followers see its tickets.\n"
             "All internal users: every helpdesk user sees the tickets.\n"
             "Portal: customers also follow their tickets in the customer portal.")
    ticket_ids = fields.One2many('helpdesk.ticket', 'team_id', string="Tickets")
    open_ticket_count = fields.Integer(compute='_compute_ticket_counts')
    unassigned_ticket_count = fields.Integer(compute='_compute_ticket_counts')
    urgent_ticket_count = fields.Integer(compute='_compute_ticket_counts')

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    def _compute_ticket_counts(self):
        """Dashboard counters: one grouped query for all teams."""
        Ticket = self.env['helpdesk.ticket']
        open_domain = Domain('team_id', 'in', self.ids) & Domain('is_closed', '=', False)
        rows = Ticket._read_group(open_domain, ['team_id', 'user_id', 'priority'], ['__count'])
        counts = {team: {'open': 0, 'unassigned': 0, 'urgent': 0} for team in self}
        for team, user, priority, count in rows:
            counts[team]['open'] += count
            if not user:
                counts[team]['unassigned'] += count
            if priority == '3':
                counts[team]['urgent'] += count
        for team in self:
            team.open_ticket_count = counts[team]['open']
            team.unassigned_ticket_count = counts[team]['unassigned']
            team.urgent_ticket_count = counts[team]['urgent']

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def _get_dashboard_filters(self):
        """Dashboard card filter name -> (ticket domain, window title)."""
        return {
            'open': (Domain('is_closed', '=', False), self.env._("Open Tickets")),
            'unassigned': (Domain('is_closed', '=', False) & Domain('user_id', '=', False),
                           self.env._("Unassigned Tickets")),
            'urgent': (Domain('is_closed', '=', False) & Domain('priority', '=', '3'),
                       self.env._("Urgent Tickets")),
        }

    def action_view_tickets(self):
        """Open the team's tickets, narrowed by the dashboard card clicked (context key ``ticket_filter``)."""
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.helpdesk_ticket_action')
        domain, title = self._get_dashboard_filters().get(
            self.env.context.get('ticket_filter'), (Domain.TRUE, self.env._("Tickets")))
        action.update({
            'name': f"{self.name}: {title}",
            'domain': list(Domain('team_id', '=', self.id) & domain),
            'context': {'default_team_id': self.id},
        })
        return action

    @api.model
    def _get_first_stage(self, team_ids=None):
        """First (lowest sequence) stage of each team, as a dict team id -> stage."""
        teams = self.browse(team_ids) if team_ids is not None else self
        return {team.id: team.stage_ids.sorted()[:1] for team in teams}
