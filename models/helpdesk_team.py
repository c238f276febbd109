import ast
import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.rating.models import rating_data

from ..core.constants import URGENT_PRIORITY

_logger = logging.getLogger(__name__)

DASHBOARD_DAYS = 7  # the SLA success rate and rating cards cover the last 7 days

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
    # rating.parent.mixin first: its rating_ids (ratings of the team's tickets) must win
    # over mail.thread's (ratings of the team record itself).
    _inherit = ['rating.parent.mixin', 'mail.thread', 'mail.alias.mixin.optional']
    _order = 'sequence, name'
    _rating_satisfaction_days = 30  # dashboard figures cover the last 30 days

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
    rating_alert_user_id = fields.Many2one(
        'res.users', string="Low Rating Alerts To",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Gets a follow-up activity when a customer gives a low rating; "
             "the team leader when empty.")
    assign_method = fields.Selection([
        ('manual', "Manually"),
        ('randomly', "Randomly"),
        ('balanced', "Balanced"),
    ], string="Assignment Method", default='manual', required=True,
        help="Manually: agents take tickets themselves.\n"
             "Randomly: every agent gets the same number of tickets over time.\n"
             "Balanced: the agent with the fewest open tickets gets the next one.\n"
             "Assignment rules apply first, whatever the method.")
    last_assigned_user_id = fields.Many2one(
        'res.users', string="Last Assigned To", readonly=True, copy=False,
        help="Where the rotation of the team's agents stands.")
    assignment_rule_ids = fields.One2many(
        'helpdesk.assignment.rule', 'team_id', string="Assignment Rules",
        help="Checked in order; the first rule matching a new unassigned ticket gives it to its agents.")
    customer_tier_ids = fields.One2many(
        'helpdesk.customer.tier', 'team_id', string="Customer Tier Priorities",
        help="New tickets of customers with these tags start at least at the given priority.")
    alias_contact = fields.Selection(
        selection=lambda self: self.env['mail.alias']._fields['alias_contact'].selection,
        string="Accept Emails From", compute='_compute_alias_contact', inverse='_inverse_alias_contact',
        help="Everyone; known contacts only; or only the followers of the ticket (replies) or of the team.")
    allow_cc_followers = fields.Boolean(
        string="CC Follow Tickets",
        help="Addresses in CC of an email to the team follow the ticket (a contact is created if needed).")
    privacy_visibility = fields.Selection([
        ('invited_internal', "Invited internal users"),
        ('internal', "All internal users"),
        ('portal', "Invited portal users and all internal users"),
    ], string="Visibility", default='portal', required=True, tracking=True,
        help="Invited internal users: only the team's agents and followers see its tickets.\n"
             "All internal users: every helpdesk user sees the tickets.\n"
             "Portal: customers also follow their tickets in the customer portal.")
    allow_portal_ticket_closing = fields.Boolean(
        string="Closing by Customers",
        help="Customers can close their open tickets from the portal.")
    allow_company_tickets = fields.Boolean(
        string="Company Tickets in Portal",
        help="Portal users also see the tickets of the other contacts of their company.")
    use_website_form = fields.Boolean(
        string="Web Form",
        help="Logged-in customers can submit tickets through the team's web form.")
    allow_public_form = fields.Boolean(
        string="Open to Visitors", compute='_compute_allow_public_form', store=True, readonly=False,
        help="Visitors without an account can submit tickets through the web form too.")
    allow_form_priority = fields.Boolean(
        string="Priority on Web Form", help="Customers choose the priority of their ticket on the web form.")
    website_form_url = fields.Char(string="Web Form URL", compute='_compute_website_form_url')
    ticket_ids = fields.One2many('helpdesk.ticket', 'team_id', string="Tickets")
    open_ticket_count = fields.Integer(compute='_compute_ticket_counts')
    unassigned_ticket_count = fields.Integer(compute='_compute_ticket_counts')
    urgent_ticket_count = fields.Integer(compute='_compute_ticket_counts')
    sla_failed_ticket_count = fields.Integer(
        string="Failed SLA", compute='_compute_sla_dashboard',
        help="Open tickets with an SLA deadline passed and its target not reached.")
    sla_at_risk_ticket_count = fields.Integer(
        string="SLA At Risk", compute='_compute_sla_dashboard',
        help="Open tickets with a running SLA past its warning threshold, before its deadline.")
    sla_outcome_count = fields.Integer(
        string="SLA Targets Due (7 days)", compute='_compute_sla_dashboard',
        help="SLA targets of the team's tickets reached, or failed, in the last 7 days.")
    sla_success_rate = fields.Float(
        string="SLA Success Rate (7 days)", compute='_compute_sla_dashboard',
        help="Share of the SLA targets reached or failed in the last 7 days that were reached on time.")
    rating_count_last_7_days = fields.Integer(
        string="Ratings (7 days)", compute='_compute_rating_last_7_days')
    rating_avg_last_7_days = fields.Float(
        string="Average Rating (7 days)", compute='_compute_rating_last_7_days',
        help="Average customer rating (1 to 5) given in the last 7 days.")
    sla_ids = fields.One2many('helpdesk.sla', 'team_id', string="Policies")
    sla_count = fields.Integer(compute='_compute_sla_count', string="# SLA Policies")
    # automation
    auto_close_ticket = fields.Boolean(
        string="Automatic Closing",
        help="Tickets left in the chosen stages for a number of days after their last stage change "
             "go to the closing stage, with a message to the customer.")
    auto_close_day = fields.Integer(string="Close After (days)", default=7)
    from_stage_ids = fields.Many2many(
        'helpdesk.stage', 'helpdesk_team_auto_close_stage_rel', 'team_id', 'stage_id', string="Close From Stages",
        default=lambda self: self.env.ref('helpdesk_sla.stage_waiting', raise_if_not_found=False),
        domain="[('id', 'in', stage_ids)]",
        help="Stages where tickets wait on the customer, e.g. Waiting on Customer.")
    to_stage_id = fields.Many2one(
        'helpdesk.stage', string="Closing Stage", domain="[('id', 'in', stage_ids)]",
        help="Where automatically closed tickets go; empty: the team's first closing stage.")
    auto_close_reminder_day = fields.Integer(
        string="Remind Before (days)",
        help="Remind the customer this many days before closing the ticket; 0: no reminder.")
    reply_stage_id = fields.Many2one(
        'helpdesk.stage', string="Customer Reply Stage", domain="[('id', 'in', stage_ids)]",
        help="A customer reply to a ticket waiting on them (in a stage where the team's SLA lines pause, "
             "or an automatic closing stage) moves it to this stage; empty: the team's second open stage "
             "(e.g. In Progress).")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends('use_website_form')
    def _compute_allow_public_form(self):
        self.filtered(lambda team: not team.use_website_form).allow_public_form = False

    @api.depends('use_website_form')
    def _compute_website_form_url(self):
        base_url = self.get_base_url() if self else ''
        for team in self:
            team.website_form_url = (
                f"{base_url}/helpdesk/{team.id}/submit" if team.use_website_form and team.id else False)

    def _compute_sla_count(self):
        counts = dict(self.env['helpdesk.sla']._read_group([('team_id', 'in', self.ids)], ['team_id'], ['__count']))
        for team in self:
            team.sla_count = counts.get(team, 0)

    @api.depends('alias_id.alias_contact')
    def _compute_alias_contact(self):
        for team in self:
            team.alias_contact = team.alias_id.alias_contact or 'everyone'

    def _inverse_alias_contact(self):
        # the alias mixin writes alias fields itself when the alias exists or is created
        # with the team; this covers the other writes (sudo: managers cannot edit aliases)
        for team in self.filtered(lambda team: team.alias_id and team.alias_contact):
            team.alias_id.sudo().alias_contact = team.alias_contact

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
            if priority == URGENT_PRIORITY:
                counts[team]['urgent'] += count
        for team in self:
            team.open_ticket_count = counts[team]['open']
            team.unassigned_ticket_count = counts[team]['unassigned']
            team.urgent_ticket_count = counts[team]['urgent']

    def _compute_sla_dashboard(self):
        """SLA cards of all teams at once: open tickets failing or at risk (two grouped
        queries) and the success rate of the last 7 days (one query)."""
        Ticket = self.env['helpdesk.ticket']
        open_domain = Domain('team_id', 'in', self.ids) & Domain('is_closed', '=', False)
        failed = dict(Ticket._read_group(open_domain & Domain('sla_fail', '=', True), ['team_id'], ['__count']))
        at_risk = dict(Ticket._read_group(open_domain & Domain('sla_at_risk', '=', True), ['team_id'], ['__count']))
        since = fields.Datetime.now() - timedelta(days=DASHBOARD_DAYS)
        outcomes = self._get_sla_outcome_counts(since)
        for team in self:
            team.sla_failed_ticket_count = failed.get(team, 0)
            team.sla_at_risk_ticket_count = at_risk.get(team, 0)
            due, met = outcomes.get(team.id, (0, 0))
            team.sla_outcome_count = due
            team.sla_success_rate = 100.0 * met / due if due else 0.0

    def _get_sla_outcome_counts(self, since):
        """Team id -> (SLA targets decided since ``since``, those reached on time), over the
        active tickets of the teams. Decided: reached since then (on time or late), or not
        reached with a deadline since then that failed, like the SLA engine (a paused clock
        fails if its deadline came before the pause). Each branch reads its own index."""
        if not self.ids:
            return {}
        self.env['helpdesk.sla.status'].flush_model(
            ['ticket_id', 'team_id', *self.env['helpdesk.sla.status'].STATE_COLUMNS])
        self.env['helpdesk.ticket'].flush_model(['active'])
        Status = self.env['helpdesk.sla.status']
        now = fields.Datetime.now()
        rows = self.env.execute_query(SQL(
            """
            SELECT lines.team_id, COUNT(*), COUNT(*) FILTER (WHERE lines.on_time)
              FROM (SELECT s.ticket_id, s.team_id, %(on_time)s AS on_time
                      FROM helpdesk_sla_status s
                     WHERE s.reached_datetime >= %(since)s AND s.team_id = ANY(%(teams)s)
                    UNION ALL
                    SELECT s.ticket_id, s.team_id, FALSE
                      FROM helpdesk_sla_status s
                     WHERE s.deadline >= %(since)s AND %(failed)s AND s.team_id = ANY(%(teams)s)
                   ) AS lines
             WHERE NOT EXISTS (SELECT 1 FROM helpdesk_ticket archived
                                WHERE archived.id = lines.ticket_id AND archived.active IS NOT TRUE)
             GROUP BY lines.team_id
            """,
            on_time=Status._sql_reached_on_time('s'), failed=Status._sql_failed('s', now),
            since=since, teams=self.ids))
        return {team_id: (due, met) for team_id, due, met in rows}

    def _compute_rating_last_7_days(self):
        """Ratings of the teams' tickets given in the last 7 days: one grouped query on the
        ratings' parent (the ticket's team when rated), read from the consumed-ratings index."""
        since = fields.Datetime.now() - timedelta(days=DASHBOARD_DAYS)
        rows = self.env['rating.rating'].sudo()._read_group(
            self._get_rating_last_7_days_domain(since) & Domain('parent_res_model', '=', self._name)
            & Domain('parent_res_id', 'in', self.ids),
            ['parent_res_id'], ['__count', 'rating:avg'])
        stats = {team_id: (count, average) for team_id, count, average in rows}
        for team in self:
            team.rating_count_last_7_days, team.rating_avg_last_7_days = stats.get(team.id, (0, 0.0))

    @api.model
    def _get_rating_last_7_days_domain(self, since):
        return (Domain('res_model', '=', 'helpdesk.ticket') & Domain('consumed', '=', True)
                & Domain('rating', '>=', rating_data.RATING_LIMIT_MIN) & Domain('write_date', '>=', since))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        leaving_portal = self.browse()
        if vals.get('privacy_visibility', 'portal') != 'portal':
            leaving_portal = self.filtered(lambda team: team.privacy_visibility == 'portal')
        res = super().write(vals)
        leaving_portal._unsubscribe_portal_users()
        return res

    def _unsubscribe_portal_users(self):
        """Remove the portal users following the teams or their tickets: once a team
        is no longer visible in the portal, its customers must not stay subscribed."""
        if not self:
            return
        tickets = self.env['helpdesk.ticket'].with_context(active_test=False).sudo().search(
            [('team_id', 'in', self.ids)])
        followers = self.env['mail.followers'].sudo().search(
            (Domain('res_model', '=', self._name) & Domain('res_id', 'in', self.ids))
            | (Domain('res_model', '=', tickets._name) & Domain('res_id', 'in', tickets.ids)))
        portal_partners = followers.partner_id.filtered(
            lambda partner: partner.user_ids and all(partner.user_ids.mapped('share')))
        if portal_partners:
            followers.filtered(lambda follower: follower.partner_id in portal_partners).unlink()

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains('resource_calendar_id', 'use_sla')
    def _check_sla_working_time(self):
        """Working-hours SLA policies need a calendar with working time."""
        teams = self.filtered(lambda team: team.use_sla and team.sla_ids.filtered(
            lambda sla: sla.time_basis == 'calendar'))
        for team in teams:
            if not team.resource_calendar_id:
                raise ValidationError(self.env._(
                    "The team “%s” has SLA policies counted on working hours: it needs working hours.", team.name))
        teams.resource_calendar_id._helpdesk_check_working_time()

    @api.constrains('auto_close_day', 'auto_close_reminder_day')
    def _check_auto_close_days(self):
        for team in self.filtered('auto_close_ticket'):
            if team.auto_close_day < 1 or not 0 <= team.auto_close_reminder_day < team.auto_close_day:
                raise ValidationError(self.env._(
                    "Team “%s”: tickets close after one day or more, and the reminder goes out before that.",
                    team.name))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.readonly
    def action_view_sla(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.helpdesk_sla_action')
        action.update({'domain': [('team_id', '=', self.id)], 'context': {'default_team_id': self.id}})
        return action

    def _get_dashboard_filters(self):
        """Dashboard card filter name -> (ticket domain, window title)."""
        return {
            'open': (Domain('is_closed', '=', False), self.env._("Open Tickets")),
            'unassigned': (Domain('is_closed', '=', False) & Domain('user_id', '=', False),
                           self.env._("Unassigned Tickets")),
            'urgent': (Domain('is_closed', '=', False) & Domain('priority', '=', URGENT_PRIORITY),
                       self.env._("Urgent Tickets")),
            **self._get_dashboard_sla_filters(),
        }

    def _get_dashboard_sla_filters(self):
        """Filters of the SLA and rating cards: the tickets each figure counts."""
        since = fields.Datetime.now() - timedelta(days=DASHBOARD_DAYS)
        decided = Domain('reached_datetime', '>=', since) | (
            Domain('is_failed', '=', True) & Domain('deadline', '>=', since))
        return {
            'sla_failed': (Domain('is_closed', '=', False) & Domain('sla_fail', '=', True),
                           self.env._("Tickets with a Failed SLA")),
            'sla_at_risk': (Domain('is_closed', '=', False) & Domain('sla_at_risk', '=', True),
                            self.env._("Tickets with an SLA at Risk")),
            'sla_last_7_days': (Domain('sla_status_ids', 'any', decided),
                                self.env._("Tickets with SLA Targets Due in the Last 7 Days")),
            'rated_last_7_days': (Domain('rating_ids', 'any', self._get_rating_last_7_days_domain(since)),
                                  self.env._("Tickets Rated in the Last 7 Days")),
        }

    @api.readonly
    def action_view_tickets(self):
        """Open the team's tickets, narrowed by the dashboard card clicked (context key ``ticket_filter``)."""
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.helpdesk_ticket_action')
        domain, title = self._get_dashboard_filters().get(
            self.env.context.get('ticket_filter'), (Domain.TRUE, self.env._("Tickets")))
        # the team is a facet of the search, which the agent can remove to see every team
        action.update({
            'name': f"{self.name}: {title}",
            'domain': list(domain),
            'context': {'default_team_id': self.id, 'search_default_team_id': self.id},
        })
        return action

    @api.readonly
    def action_view_ratings(self):
        """Open the customer ratings of the team's tickets, last 30 days first."""
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.rating_rating_action_helpdesk')
        action.update({
            'name': self.env._("%s: Customer Ratings", self.name),
            'domain': [('res_model', '=', 'helpdesk.ticket'), ('consumed', '=', True),
                       ('helpdesk_team_id', '=', self.id)],
            'context': {'search_default_last_30_days': 1},
        })
        return action

    # ------------------------------------------------------------
    # STAGES
    # ------------------------------------------------------------

    @api.model
    def _get_first_stage(self, team_ids=None):
        """First (lowest sequence) stage of each team, as a dict team id -> stage."""
        teams = self.browse(team_ids) if team_ids is not None else self
        return {team.id: team.stage_ids.sorted()[:1] for team in teams}

    # ------------------------------------------------------------
    # MAIL ALIAS
    # ------------------------------------------------------------

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values['alias_model_id'] = self.env['ir.model']._get_id('helpdesk.ticket')
        if self.id:
            values['alias_defaults'] = defaults = ast.literal_eval(self.alias_defaults or "{}")
            defaults['team_id'] = self.id
        return values

    # ------------------------------------------------------------
    # ASSIGNMENT
    # ------------------------------------------------------------

    def _get_assignment_pool(self):
        """Agents the team's own method hands tickets out to: its active internal members, by id."""
        self.ensure_one()
        return self.member_ids.filtered(lambda user: user.active and not user.share).sorted('id')

    # ------------------------------------------------------------
    # AUTOMATION
    # ------------------------------------------------------------

    def _get_waiting_stages(self):
        """Stages where the team's tickets wait on the customer: where one of its SLA policies
        pauses the clock, and its automatic closing stages when it closes tickets automatically."""
        stages = self._get_customer_waiting_stages()
        for team in self.filtered('use_sla'):
            stages |= team.sla_ids.exclude_stage_ids
        return stages

    def _get_customer_waiting_stages(self):
        """The team's stages marked as waiting on the customer, and its automatic closing
        stages when it closes tickets automatically: where new SLA policies pause."""
        stages = self.env['helpdesk.stage']
        for team in self:
            stages |= team.stage_ids.filtered('is_waiting')
            if team.auto_close_ticket:
                stages |= team.from_stage_ids
        return stages

    def _get_reply_stage(self):
        """Where a customer reply sends a ticket waiting on them: the team's reply stage, or else
        its second open stage that is no waiting stage (e.g. In Progress)."""
        if len(self) != 1:
            return self.env['helpdesk.stage']
        if self.reply_stage_id:
            return self.reply_stage_id
        working = self.stage_ids.filtered(lambda stage: not stage.fold).sorted() - self._get_waiting_stages()
        return working[1:2] or working[:1]

    @api.model
    def _cron_auto_close(self):
        """Close the tickets left waiting on the customer too long, team by team, committing after each."""
        now = fields.Datetime.now()
        teams = self.search([('auto_close_ticket', '=', True)])
        self.env['ir.cron']._commit_progress(remaining=len(teams))
        for team in teams:
            team._auto_close_tickets(now)
            if not self.env['ir.cron']._commit_progress(1):
                break

    def _auto_close_tickets(self, now):
        """Remind, then close, the open tickets of the teams sitting in one of their automatic
        closing stages since their last stage change (other writes do not count) for
        ``auto_close_day`` days. A ticket that fails is logged and skipped.
        Returns (tickets reminded, tickets closed)."""
        Ticket = self.env['helpdesk.ticket'].sudo()
        reminded = closed = Ticket
        for team in self.filtered('auto_close_ticket'):
            closing_stage = team.to_stage_id or team.stage_ids.filtered('fold').sorted()[:1]
            from_stages = team.from_stage_ids - closing_stage
            if not closing_stage or not from_stages:
                continue
            waiting = (Domain('team_id', '=', team.id) & Domain('stage_id', 'in', from_stages.ids)
                       & Domain('is_closed', '=', False))
            close_before = now - timedelta(days=team.auto_close_day)
            for ticket in Ticket.search(waiting & Domain('date_last_stage_update', '<=', close_before)):
                if team._auto_close_step(ticket, closing_stage, now):
                    closed |= ticket
            if team.auto_close_reminder_day:
                remind_before = close_before + timedelta(days=team.auto_close_reminder_day)
                candidates = Ticket.search(waiting & Domain('date_last_stage_update', '<=', remind_before))
                for ticket in candidates.filtered(lambda ticket: not ticket.auto_close_reminder_date
                                                  or ticket.auto_close_reminder_date < ticket.date_last_stage_update):
                    if team._auto_close_step(ticket, False, now):
                        reminded |= ticket
        return reminded, closed

    def _auto_close_step(self, ticket, closing_stage, now):
        """Close ``ticket`` into ``closing_stage`` with a message to the customer or, without a
        stage, remind the customer first; in a savepoint, a failure is logged. Returns whether it worked."""
        self.ensure_one()
        record = ticket._as_automation()
        if closing_stage:
            body = self.env._(
                "This ticket was closed automatically: we had no answer from you for %s days. "
                "If you still need help, just reply to this message.", self.auto_close_day)
        else:
            body = self.env._(
                "We are waiting for your answer on this ticket. Without news from you, it will be "
                "closed automatically in %s days.", self.auto_close_reminder_day)
        try:
            with self.env.cr.savepoint():
                record.message_post(body=Markup("<p>%s</p>") % body, message_type='auto_comment',
                                    subtype_xmlid='mail.mt_comment')
                record.write({'stage_id': closing_stage.id} if closing_stage else {'auto_close_reminder_date': now})
        except Exception:
            _logger.exception("Automatic closing of ticket %s failed; it is skipped", ticket.id)
            return False
        return True
