from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..core import trigger_moment
from ..core.constants import ESCALATION_TRIGGER_TYPES, TICKET_PRIORITIES, URGENT_PRIORITY
from .helpdesk_sla_status import SlaClock

CLOCK_CACHE_KEY = 'helpdesk_sla.escalation_clock'  # cursor cache: one calendar expansion per cron batch
REPLAN_CHUNK = 20_000  # SLA lines re-planned per query round (and per commit in the cron)


class HelpdeskEscalationRule(models.Model):
    """A level of escalation: when an SLA line of a ticket in its scope reaches its
    trigger, its actions are applied to the ticket, once per SLA line (see
    ``helpdesk.escalation.log``).

    Each SLA line stores when its next escalation is due (``escalation_due_date`` on
    ``helpdesk.sla.status``, computed by ``_plan_escalations``), so the cron only looks
    at what is due, through a partial index.
    """

    _name = 'helpdesk.escalation.rule'
    _description = "Helpdesk Escalation Rule"
    _order = 'level, sequence, id'

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10, help="Order of the rules of one level.")
    level = fields.Integer(
        default=1, required=True,
        help="The escalation level a ticket reaches when the rule applies. Rules due at the same "
             "time apply by level, and manual escalation goes to the next level's rules.")
    company_id = fields.Many2one(
        'res.company', index=True, default=lambda self: self.env.company,
        help="Only tickets of this company; empty: all companies.")
    # scope (empty = any)
    team_ids = fields.Many2many(
        'helpdesk.team', 'helpdesk_escalation_rule_team_rel', 'rule_id', 'team_id', string="Teams",
        help="Only tickets of these teams; empty: every team.")
    sla_ids = fields.Many2many(
        'helpdesk.sla', 'helpdesk_escalation_rule_sla_rel', 'rule_id', 'sla_id', string="SLA Policies",
        help="Only the SLA lines of these policies; empty: every policy.")
    min_priority = fields.Selection(
        TICKET_PRIORITIES, string="From Priority",
        help="Only tickets of this priority or a higher one; empty: any priority.")
    # trigger
    trigger_type = fields.Selection(
        ESCALATION_TRIGGER_TYPES, string="Trigger", required=True, default='consumed_pct',
        help="% of SLA time consumed: 100 % is the deadline, 150 % is half the SLA time past it.\n"
             "Hours before / after the deadline: counted in the policy's working time.")
    trigger_value = fields.Float(
        string="Trigger Value", required=True, default=100.0,
        help="A percentage of the SLA time, or a number of working hours.")
    trigger_description = fields.Char(string="When", compute='_compute_trigger_description')
    # actions
    raise_priority = fields.Boolean(
        help="Raise the ticket's priority by one level (up to Urgent), once per ticket: not again when "
             "another SLA line of the ticket reaches the trigger.")
    set_priority = fields.Selection(
        TICKET_PRIORITIES, string="Set Priority To",
        help="Set the ticket's priority to this value; a higher priority is kept.")
    team_id = fields.Many2one(
        'helpdesk.team', string="Move to Team", ondelete='set null',
        help="Move the ticket to this team (its SLA policies then apply).")
    user_assign = fields.Selection(
        [('leader', "Team Leader"), ('user', "A Chosen User")], string="Reassign To",
        compute='_compute_user_assign', store=True, readonly=False,
        help="Team Leader: the leader of the ticket's team (after a team move, of the new team).")
    user_id = fields.Many2one(
        'res.users', string="Reassign To User", ondelete='set null',
        domain="[('share', '=', False)]")
    notify_user_ids = fields.Many2many(
        'res.users', 'helpdesk_escalation_rule_notify_rel', 'rule_id', 'user_id', string="Notify",
        domain="[('share', '=', False)]",
        help="Notified of each application: at once for a manual escalation; by the cron, in one "
             "message per team and run listing the tickets.")
    notify_leader = fields.Boolean(
        string="Notify the Team Leader", help="The leader of the ticket's team is notified too.")
    add_followers = fields.Boolean(
        string="Add as Followers", help="The notified users follow the ticket from then on.")
    activity_type_id = fields.Many2one(
        'mail.activity.type', string="Schedule Activity", ondelete='set null',
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'helpdesk.ticket')]")
    activity_summary = fields.Char(string="Activity Summary", translate=True)
    activity_user_type = fields.Selection(
        [('agent', "Assigned Agent"), ('leader', "Team Leader"), ('user', "A Chosen User")],
        string="Activity For", default='agent', required=True,
        help="Assigned Agent: the ticket's agent, or the team leader when nobody has the ticket.")
    activity_user_id = fields.Many2one(
        'res.users', string="Activity User", ondelete='set null', domain="[('share', '=', False)]")
    mail_template_id = fields.Many2one(
        'mail.template', string="Send Email", ondelete='set null',
        domain="[('model', '=', 'helpdesk.ticket')]",
        help="Email template sent on the ticket (to its template's recipients).")
    stage_id = fields.Many2one(
        'helpdesk.stage', string="Move to Stage", ondelete='set null',
        help="e.g. an “Escalated” stage of the team.")
    mark_escalated = fields.Boolean(
        default=True, help="Flag the ticket as escalated (the “Escalated” filter and menu).")
    respect_working_hours = fields.Boolean(
        string="Within Working Hours", default=True,
        help="The escalation applies on time, but its notification reaches each user only within "
             "their working hours (their own working time, else the team's, without their time "
             "off): outside them it is held and delivered at the start of their next working "
             "period, in one digest.")
    log_ids = fields.One2many('helpdesk.escalation.log', 'rule_id', string="Escalation Log")
    log_count = fields.Integer(compute='_compute_log_count', string="# Escalations")

    _level_positive = models.Constraint('CHECK(level > 0)', "The escalation level is a positive number.")
    _trigger_value_valid = models.Constraint(
        "CHECK(trigger_value > 0 OR (trigger_type != 'consumed_pct' AND trigger_value = 0))",
        "The trigger is a positive percentage, or a number of hours (0 or more).")
    _one_priority_action = models.Constraint(
        'CHECK(NOT raise_priority OR set_priority IS NULL)',
        "An escalation rule raises the priority by one or sets it, not both.")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends('trigger_type', 'trigger_value')
    def _compute_trigger_description(self):
        for rule in self:
            if rule.trigger_type == 'consumed_pct':
                rule.trigger_description = self.env._("%s %% of the SLA time", f"{rule.trigger_value:g}")
                continue
            # hours read as h:mm, like the time of the SLA policies
            minutes = round(rule.trigger_value * 60)
            value = f"{minutes // 60}:{minutes % 60:02d}"
            if rule.trigger_type == 'before_deadline':
                rule.trigger_description = self.env._("%s h before the deadline", value)
            else:
                rule.trigger_description = self.env._("%s h after the deadline", value)

    @api.depends('user_id')
    def _compute_user_assign(self):
        for rule in self:
            if rule.user_id:
                rule.user_assign = 'user'
            elif rule.user_assign == 'user':
                rule.user_assign = False

    def _compute_log_count(self):
        counts = dict(self.env['helpdesk.escalation.log']._read_group(
            [('rule_id', 'in', self.ids)], ['rule_id'], ['__count']))
        for rule in self:
            rule.log_count = counts.get(rule, 0)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains('user_assign', 'user_id', 'activity_type_id', 'activity_user_type', 'activity_user_id')
    def _check_chosen_users(self):
        for rule in self:
            if rule.user_assign == 'user' and not rule.user_id:
                raise ValidationError(self.env._("The escalation rule “%s” reassigns to a chosen user: choose one.",
                                                 rule.name))
            if rule.activity_type_id and rule.activity_user_type == 'user' and not rule.activity_user_id:
                raise ValidationError(self.env._(
                    "The escalation rule “%s” schedules an activity for a chosen user: choose one.", rule.name))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()
        rules._recompute_due_dates(rules.team_ids, all_teams=not all(rule.team_ids for rule in rules),
                                   background=True)
        return rules

    def write(self, vals):
        scope_fields = {'active', 'company_id', 'team_ids', 'sla_ids', 'min_priority', 'trigger_type', 'trigger_value'}
        if not scope_fields.intersection(vals):
            result = super().write(vals)
            if {'level', 'sequence'}.intersection(vals):
                self.env.registry.clear_cache()  # the cached active rules are in level order
            return result
        teams_before = self.team_ids
        all_before = not all(rule.team_ids for rule in self)
        result = super().write(vals)
        self.env.registry.clear_cache()
        self._recompute_due_dates(teams_before | self.team_ids,
                                  all_teams=all_before or not all(rule.team_ids for rule in self), background=True)
        return result

    def unlink(self):
        teams = self.team_ids
        all_teams = not all(rule.team_ids for rule in self)
        result = super().unlink()
        self.env.registry.clear_cache()
        self._recompute_due_dates(teams, all_teams=all_teams, background=True)
        return result

    def _recompute_due_dates(self, teams, all_teams=False, background=False, commit=False):
        """Recompute when the next escalation is due on the running SLA lines of ``teams``
        (of every team with ``all_teams``): the rules in scope changed. This may concern every
        open ticket: the lines are taken by chunks of ``REPLAN_CHUNK`` ids, each chunk read with
        two queries (lines, logs) and its changed dates written back with one (the arithmetic
        is ``_plan_rows``, as for the stored compute). With ``commit`` (the cron), each chunk
        is committed: no chunk holds the lines' rows long.

        With ``background`` (saving a rule), only ask for it: the escalation cron, triggered at
        once, re-plans those teams before it selects the due lines (``helpdesk.escalation.replan``),
        so a save costs the same whatever the backlog."""
        if not all_teams and not teams:
            return
        if background:
            self.env['helpdesk.escalation.replan']._request(teams, all_teams=all_teams)
            return
        self.env.flush_all()
        team_filter = SQL("") if all_teams else SQL("AND ticket.team_id = ANY(%s)", teams.ids)
        line_ids = [row[0] for row in self.env.execute_query(SQL(
            """SELECT line.id
                 FROM helpdesk_sla_status line
                 JOIN helpdesk_ticket ticket ON ticket.id = line.ticket_id
                WHERE line.reached_datetime IS NULL AND line.pause_start IS NULL
                      AND line.start_date IS NOT NULL %s
             ORDER BY line.id""", team_filter))]
        for chunk in tools.split_every(REPLAN_CHUNK, line_ids, list):
            self._recompute_due_dates_of(chunk)
            if commit:
                self.env['ir.cron']._commit_progress()
        self.env['helpdesk.sla.status'].invalidate_model(['escalation_due_date'])

    @api.model
    def _recompute_due_dates_of(self, line_ids):
        """``_recompute_due_dates`` on the SLA lines ``line_ids`` (running ones)."""
        rows = self.env.execute_query(SQL(
            """SELECT line.id, line.start_date, line.paused_seconds, ticket.active, ticket.company_id,
                      ticket.team_id, ticket.priority, line.sla_id, line.escalation_due_date
                 FROM helpdesk_sla_status line
                 JOIN helpdesk_ticket ticket ON ticket.id = line.ticket_id
                WHERE line.id = ANY(%s) AND line.reached_datetime IS NULL AND line.pause_start IS NULL
                      AND line.start_date IS NOT NULL""", line_ids))
        applied = defaultdict(set)
        for line_id, rule_id in self.env.execute_query(SQL(
                """SELECT sla_status_id, rule_id FROM helpdesk_escalation_log
                    WHERE sla_status_id = ANY(%s) AND rule_id IS NOT NULL""", line_ids)):
            applied[line_id].add(rule_id)
        plan = self._plan_rows([(*row[:8], applied[row[0]]) for row in rows])
        changes = []
        for row in rows:
            due = min(due for due, _rule in plan[row[0]]) if row[0] in plan else None
            if due != row[8]:
                changes.append((row[0], due))
        if changes:
            self.env.execute_query(SQL(
                """UPDATE helpdesk_sla_status line SET escalation_due_date = new.due
                     FROM unnest(%s::int[], %s::timestamp[]) AS new(id, due)
                    WHERE line.id = new.id""",
                [line_id for line_id, _due in changes], [due for _line_id, due in changes]))

    # ------------------------------------------------------------
    # SCOPE AND TRIGGERS
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _get_active_rule_ids(self):
        return tuple(self.sudo().search([]).ids)

    @api.model
    def _get_active_rules(self):
        """The active rules of every company, in level order (cached until a rule changes)."""
        return self.sudo().browse(self._get_active_rule_ids())

    def _is_in_scope(self, ticket):
        """Whether the rule applies to ``ticket`` as a whole (manual escalation): its company, team and
        priority, and one of its SLA policies when the rule is limited to some."""
        self.ensure_one()
        if self.company_id and self.company_id != ticket.company_id:
            return False
        if self.team_ids and ticket.team_id not in self.team_ids:
            return False
        if self.min_priority and ticket.priority < self.min_priority:
            return False
        return not self.sla_ids or bool(ticket.sla_status_ids.sla_id & self.sla_ids)

    @api.model
    def _plan_escalations(self, lines):
        """The escalations still to come of ``lines`` (``helpdesk.sla.status``): a dict line ->
        [(due datetime, rule)] in rule order, with the active rules in scope of each line that
        were not applied to it yet. Paused and reached lines and lines of archived tickets have
        none. Set-based: each record is read once, one log query and one calendar expansion per
        batch, the rest is plain arithmetic (``_plan_rows``)."""
        if not lines or not self._get_active_rule_ids():
            return {}
        running = [line for line in lines
                   if line.start_date and not line.reached_datetime and not line.pause_start]
        if not running:
            return {}
        applied = defaultdict(set)  # line id -> ids of the rules applied to it
        real_ids = [line._origin.id for line in running if line._origin.id]
        if real_ids:
            logs = self.env['helpdesk.escalation.log'].sudo().search_fetch(
                [('sla_status_id', 'in', real_ids), ('rule_id', '!=', False)], ['sla_status_id', 'rule_id'])
            for log in logs:
                applied[log.sla_status_id.id].add(log.rule_id.id)
        tickets = {}
        rows = []
        for line in running:
            ticket = line.ticket_id
            if ticket.id not in tickets:
                tickets[ticket.id] = (ticket.active, ticket.company_id.id, ticket.team_id.id, ticket.priority)
            rows.append((line, line.start_date, line.paused_seconds, *tickets[ticket.id], line.sla_id.id,
                         applied[line._origin.id]))
        return self._plan_rows(rows)

    @api.model
    def _plan_rows(self, rows):
        """``_plan_escalations`` on plain values: ``rows`` of (key, clock start, working seconds
        paused, ticket active, company id, team id, priority, policy id, ids of the rules applied)
        of running lines; returns {key: [(due datetime, rule)]} in rule order."""
        rules = self._get_active_rules()
        if not rules or not rows:
            return {}
        scopes = [(rule, rule.company_id.id, set(rule.team_ids.ids), set(rule.sla_ids.ids), rule.min_priority,
                   rule.trigger_type, rule.trigger_value) for rule in rules]
        first_start = min(row[1] for row in rows)
        clock = self.env.cr.cache.get(CLOCK_CACHE_KEY)
        if clock is None or clock.start > first_start:
            clock = SlaClock(self.env, first_start)
        policies = {}
        plan = {}
        known = {}  # lines alike (imports, bulk creations) share their plan: computed once
        for key, start, paused, active, company_id, team_id, priority, sla_id, done in rows:
            if not active:
                continue
            alike = (start, paused, company_id, team_id, priority, sla_id, frozenset(done))
            if alike in known:
                if known[alike]:
                    plan[key] = known[alike]
                continue
            if sla_id not in policies:
                sla = self.env['helpdesk.sla'].sudo().browse(sla_id)
                policies[sla_id] = (sla._get_schedule_calendar(), sla._get_target_seconds())
            calendar, target = policies[sla_id]
            pending = []
            for rule, rule_company, rule_teams, rule_slas, min_priority, kind, value in scopes:
                if (rule.id in done or (rule_company and rule_company != company_id)
                        or (rule_teams and team_id not in rule_teams) or (rule_slas and sla_id not in rule_slas)
                        or (min_priority and priority < min_priority)):
                    continue
                due = clock.solve(calendar, trigger_moment(kind, value, start, target, paused or 0.0))
                pending.append((due, rule))
            known[alike] = pending
            if pending:
                plan[key] = pending
        return plan

    # ------------------------------------------------------------
    # ACTIONS OF A RULE
    # ------------------------------------------------------------

    def _apply_actions(self, tickets, first_time=None):
        """Apply the rule's actions to ``tickets``, one write per action and value; returns what
        was done to each ticket, one sentence per action ({ticket: [sentence]}). The priority is
        raised by one only on ``first_time`` (the tickets the rule did not apply to before, not
        again for each of their SLA lines; all of them by default)."""
        self.ensure_one()
        records = tickets.sudo()
        first_time = records if first_time is None else first_time
        done = defaultdict(list)

        def write(fname, groups, sentence):
            for value, group in groups.items():
                records.browse(group).write({fname: value})
                for ticket_id in group:
                    done[records.browse(ticket_id)].append(sentence(value))

        if self.team_id:
            write('team_id', {self.team_id.id: records.filtered(lambda ticket: ticket.team_id != self.team_id).ids},
                  lambda _value: self.env._("Moved to the team %s", self.team_id.name))
        priorities = defaultdict(list)
        for ticket in records:
            priority = ticket.priority
            if self.raise_priority and ticket in first_time and priority < URGENT_PRIORITY:
                priority = str(int(priority) + 1)
            elif self.set_priority and self.set_priority > priority:
                priority = self.set_priority
            if priority != ticket.priority:
                priorities[priority].append(ticket.id)
        write('priority', priorities, lambda value: self.env._("Priority raised to %s", dict(TICKET_PRIORITIES)[value]))
        users = defaultdict(list)
        for ticket in records:
            user = ticket.team_id.leader_id if self.user_assign == 'leader' else self.user_id
            if self.user_assign and user and ticket.user_id != user:
                users[user.id].append(ticket.id)
        write('user_id', users, lambda value: self.env._("Reassigned to %s", self.env['res.users'].browse(value).name))
        if self.stage_id:
            write('stage_id', {self.stage_id.id: records.filtered(lambda ticket: ticket.stage_id != self.stage_id).ids},
                  lambda _value: self.env._("Moved to the stage %s", self.stage_id.name))
        if self.add_followers:
            # one insertion for all, skipping followers already there: never a unique violation on
            # a follower an agent adds at the same moment (see _subscribe_assignees)
            subscriptions = defaultdict(lambda: records.browse())
            for notified, group in records.grouped(self._get_notified_users).items():
                for user in notified:
                    subscriptions[user.id] |= group
                if notified:
                    for ticket in group:
                        done[ticket].append(self.env._("Followers added: %s", ", ".join(notified.mapped('name'))))
            self.env['helpdesk.assignment.rule']._subscribe_assignees(subscriptions)
        if self.activity_type_id:
            for assignee, group in records.grouped(self._get_activity_user).items():
                if not assignee:
                    continue
                group.activity_schedule(
                    activity_type_id=self.activity_type_id.id,
                    summary=self.activity_summary or self.activity_type_id.summary or self.name,
                    date_deadline=self.activity_type_id._get_date_deadline(),
                    user_id=assignee.id)
                for ticket in group:
                    done[ticket].append(self.env._(
                        "Activity “%(type)s” scheduled for %(user)s", type=self.activity_type_id.name, user=assignee.name))
        if self.mail_template_id:
            records._as_automation().message_post_with_source(
                self.mail_template_id,
                message_type='auto_comment',
                subtype_xmlid='mail.mt_note',
                email_layout_xmlid='mail.mail_notification_light',
                notify_author_mention=True,
            )
            for ticket in tickets:
                done[ticket].append(self.env._("Email “%s” sent", self.mail_template_id.name))
        return done

    def _get_notified_users(self, ticket):
        self.ensure_one()
        users = self.notify_user_ids
        if self.notify_leader:
            users |= ticket.team_id.leader_id
        return users.filtered('active')

    def _get_activity_user(self, ticket):
        self.ensure_one()
        if self.activity_user_type == 'user':
            return self.activity_user_id
        if self.activity_user_type == 'agent' and ticket.user_id:
            return ticket.user_id
        return ticket.team_id.leader_id

    # ------------------------------------------------------------
    # MANUAL ESCALATION
    # ------------------------------------------------------------

    @api.model
    def _get_next_level_rules(self, ticket):
        """The active rules in scope of ``ticket`` at the lowest level above its current one."""
        rules = self._get_active_rules().filtered(
            lambda rule: rule.level > ticket.escalation_level and rule._is_in_scope(ticket))
        return rules.filtered(lambda rule: rule.level == min(rules.mapped('level'))) if rules else rules

    @api.model
    def _escalate_by_hand(self, ticket, reason):
        """Escalate ``ticket`` by hand: the next level's rules apply (logged without SLA line) and the
        ticket is marked escalated; with no rule above its level, it just goes one level up."""
        rules = self._get_next_level_rules(ticket)
        Status = self.env['helpdesk.sla.status']
        pairs = [(Status, rule) for rule in rules] or [(Status, self.browse())]
        return Status._escalate_tickets({ticket: pairs}, fields.Datetime.now(), reason=reason or "")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.readonly
    def action_view_logs(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.helpdesk_escalation_log_action')
        action.update({'domain': [('rule_id', '=', self.id)], 'context': {}})
        return action
