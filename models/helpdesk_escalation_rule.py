import logging
from collections import defaultdict

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..worktime import due_at_fraction, due_at_offset
from .helpdesk_sla_status import SlaClock
from .helpdesk_ticket import TICKET_PRIORITIES

_logger = logging.getLogger(__name__)

TRIGGER_TYPES = [
    ('consumed_pct', "% of SLA time consumed"),
    ('before_deadline', "Hours before the deadline"),
    ('after_deadline', "Hours after the deadline"),
]
DEFAULT_BATCH_SIZE = 250
CLOCK_CACHE_KEY = 'helpdesk_sla.escalation_clock'  # cursor cache: one calendar expansion per cron batch
# Automatic escalations render no email per ticket: their notes are logged, the users to notify
# get one digest per team and batch, the assignee an activity without assignment email.
AUTOMATION_CONTEXT = {
    'mail_auto_subscribe_no_notify': True,
    'mail_activity_quick_update': True,
    'mail_notify_force_send': False,
}


def trigger_moment(kind, value, start, target_seconds, paused):
    """A function of a work schedule answering when a trigger fires (None beyond its horizon),
    for a clock started at ``start`` with ``paused`` working seconds paused: ``value`` % of the
    target consumed, or ``value`` working hours before / after the deadline."""
    if kind == 'consumed_pct':
        return lambda schedule: due_at_fraction(schedule, start, target_seconds, paused, value / 100.0)
    offset = value * 3600.0 * (-1 if kind == 'before_deadline' else 1)
    return lambda schedule: due_at_offset(schedule, start, target_seconds, paused, offset)


class HelpdeskEscalationRule(models.Model):
    """A level of escalation: when an SLA clock of a ticket in its scope reaches its
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
        TRIGGER_TYPES, string="Trigger", required=True, default='consumed_pct',
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
        rules._recompute_due_dates(rules.team_ids, all_teams=not all(rule.team_ids for rule in rules))
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
                                 all_teams=all_before or not all(rule.team_ids for rule in self))
        return result

    def unlink(self):
        teams = self.team_ids
        all_teams = not all(rule.team_ids for rule in self)
        result = super().unlink()
        self.env.registry.clear_cache()
        self._recompute_due_dates(teams, all_teams=all_teams)
        return result

    def _recompute_due_dates(self, teams, all_teams=False):
        """Recompute when the next escalation is due on the running SLA lines of ``teams``
        (of every team with ``all_teams``): the rules in scope changed. This may concern every
        open ticket, so the clocks are read with one query and the changed dates written back
        10,000 at a time (the arithmetic is ``_plan_rows``, as for the stored compute)."""
        if not all_teams and not teams:
            return
        self.env.flush_all()
        team_filter = SQL("") if all_teams else SQL("AND ticket.team_id = ANY(%s)", teams.ids)
        rows = self.env.execute_query(SQL(
            """SELECT line.id, line.start_date, line.paused_seconds, ticket.active, ticket.company_id,
                      ticket.team_id, ticket.priority, line.sla_id, line.escalation_due_date
                 FROM helpdesk_sla_status line
                 JOIN helpdesk_ticket ticket ON ticket.id = line.ticket_id
                WHERE line.reached_datetime IS NULL AND line.pause_start IS NULL
                      AND line.start_date IS NOT NULL %s""", team_filter))
        applied = defaultdict(set)
        for line_id, rule_id in self.env.execute_query(SQL(
                """SELECT log.sla_status_id, log.rule_id
                     FROM helpdesk_escalation_log log
                     JOIN helpdesk_sla_status line ON line.id = log.sla_status_id
                     JOIN helpdesk_ticket ticket ON ticket.id = line.ticket_id
                    WHERE log.rule_id IS NOT NULL AND line.reached_datetime IS NULL %s""", team_filter)):
            applied[line_id].add(rule_id)
        plan = self._plan_rows([(*row[:8], applied[row[0]]) for row in rows])
        changes = [(row[0], min(due for due, _rule in plan[row[0]]) if row[0] in plan else None)
                   for row in rows]
        changes = [(line_id, due) for (line_id, due), row in zip(changes, rows, strict=True) if due != row[8]]
        for chunk in tools.split_every(10_000, changes):
            self.env.execute_query(SQL(
                """UPDATE helpdesk_sla_status line SET escalation_due_date = new.due
                     FROM unnest(%s::int[], %s::timestamp[]) AS new(id, due)
                    WHERE line.id = new.id""",
                [line_id for line_id, _due in chunk], [due for _line_id, due in chunk]))
        self.env['helpdesk.sla.status'].invalidate_model(['escalation_due_date'])

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
        of running clocks; returns {key: [(due datetime, rule)]} in rule order."""
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
        for key, start, paused, active, company_id, team_id, priority, sla_id, done in rows:
            if not active:
                continue
            if sla_id not in policies:
                sla = self.env['helpdesk.sla'].sudo().browse(sla_id)
                policies[sla_id] = (sla._get_schedule_calendar(), sla.target_seconds)
            calendar, target = policies[sla_id]
            pending = []
            for rule, rule_company, rule_teams, rule_slas, min_priority, kind, value in scopes:
                if (rule.id in done or (rule_company and rule_company != company_id)
                        or (rule_teams and team_id not in rule_teams) or (rule_slas and sla_id not in rule_slas)
                        or (min_priority and priority < min_priority)):
                    continue
                due = clock.solve(calendar, trigger_moment(kind, value, start, target, paused or 0.0))
                pending.append((due, rule))
            if pending:
                plan[key] = pending
        return plan

    # ------------------------------------------------------------
    # AUTOMATIC ESCALATION (CRON)
    # ------------------------------------------------------------

    @api.model
    def _cron_escalate(self):
        """Apply the escalations due now, committing and reporting progress batch by batch."""
        self._escalate_due(fields.Datetime.now(), commit=True)

    @api.model
    def _escalate_due(self, now, batch_size=None, commit=False):
        """Apply every escalation due at ``now``, batch by batch: each batch is picked from the
        partial index on ``escalation_due_date``, its SLA lines and their tickets locked (rows
        locked by another worker are skipped), then escalated (see ``_escalate_lines``). With
        ``commit`` (the cron) each batch is committed and reported to the ``ir.cron`` progress
        API. SLA lines created during the run (re-matched by an action) wait for the next run.

        Returns the number of SLA lines escalated."""
        batch_size = batch_size or int(self.env['ir.config_parameter'].sudo().get_param(
            'helpdesk_sla.escalation_batch_size', DEFAULT_BATCH_SIZE))
        Status = self.env['helpdesk.sla.status'].sudo()
        Status.flush_model()
        last_id = self.env.execute_query(SQL("SELECT COALESCE(MAX(id), 0) FROM helpdesk_sla_status"))[0][0]
        skipped = []  # lines that failed or had nothing due: not retried in this run
        total = 0
        while True:
            lines = self._lock_due_lines(now, last_id, batch_size, skipped)
            if not lines:
                if commit:  # all done for this run (what failed waits for the next one)
                    self.env['ir.cron']._commit_progress(remaining=0)
                break
            done, _failed = self._escalate_lines(lines, now)
            skipped += (lines - done).ids
            total += len(done)
            if not commit:
                continue
            remaining = max(self._count_due_lines(now, last_id) - len(skipped), 0) if len(lines) == batch_size else 0
            if not self.env['ir.cron']._commit_progress(len(done), remaining=remaining):
                break  # out of time: the cron runs again as soon as possible
        return total

    @api.model
    def _lock_due_lines(self, now, last_id, limit, skipped=()):
        """At most ``limit`` SLA lines due at ``now`` (ids up to ``last_id``, not in ``skipped``),
        locked with their tickets; rows another transaction holds are skipped, not waited for."""
        self.env['helpdesk.sla.status'].flush_model()
        self.env['helpdesk.ticket'].flush_model()
        query = SQL(
            """SELECT line.id
                 FROM helpdesk_sla_status line
                 JOIN helpdesk_ticket ticket ON ticket.id = line.ticket_id
                WHERE line.escalation_due_date <= %(now)s
                  AND line.id <= %(last_id)s
                  AND line.id != ALL(%(skipped)s)
             ORDER BY line.escalation_due_date
                LIMIT %(limit)s
                  FOR NO KEY UPDATE SKIP LOCKED""",
            now=now, last_id=last_id, skipped=list(skipped), limit=limit)
        try:
            with self.env.cr.savepoint(flush=False):
                rows = self.env.execute_query(query)
        except psycopg2.errors.SerializationFailure:
            # rows escalated by another worker since this transaction started: it has them
            _logger.info("Escalation: due rows changed by another worker, leaving them to it")
            return self.env['helpdesk.sla.status']
        return self.env['helpdesk.sla.status'].sudo().browse(row[0] for row in rows)

    @api.model
    def _count_due_lines(self, now, last_id):
        return self.env.execute_query(SQL(
            """SELECT COUNT(*) FROM helpdesk_sla_status
                WHERE escalation_due_date <= %(now)s AND id <= %(last_id)s""",
            now=now, last_id=last_id))[0][0]

    @api.model
    def _escalate_lines(self, lines, now):
        """Apply to the SLA lines ``lines`` every rule due at ``now`` and not applied yet, in rule
        order (a line past several thresholds gets each level once, in order). The batch runs in
        one savepoint; if anything fails, it is redone with one savepoint per ticket: a ticket
        that fails is logged and skipped, the others go on, and a log the unique index refuses
        (another worker escalated the line first) skips the ticket without error. The users the
        rules notify get one digest per team for the batch.
        Returns (lines escalated, lines that failed)."""
        todo = defaultdict(list)  # ticket -> [(line, rule)]
        for line, pending in self._plan_escalations(lines).items():
            for due, rule in pending:
                if due <= now:
                    todo[line.ticket_id].append((line, rule))
        for pairs in todo.values():
            pairs.sort(key=lambda pair: (pair[1].level, pair[1].sequence, pair[1].id, pair[0].id))
        # a line picked with nothing due has a stale date (e.g. data changed in SQL): recompute it
        stale = lines - lines.browse({line.id for pairs in todo.values() for line, _rule in pairs})
        self.env.add_to_compute(lines._fields['escalation_due_date'], stale)
        cache = self.env.cr.cache
        cache[CLOCK_CACHE_KEY] = SlaClock(self.env, min(lines.mapped('start_date')))  # shared by the recomputes
        try:
            try:
                with self.env.cr.savepoint():
                    notifications = self._escalate_tickets(todo, now)
                escalated, failed_tickets = list(todo), []
            except Exception:  # found and logged below, ticket by ticket
                escalated, failed_tickets, notifications = self._escalate_one_by_one(todo, now)
        finally:
            cache.pop(CLOCK_CACHE_KEY, None)
        done = lines.browse({line.id for ticket in escalated for line, _rule in todo[ticket]})
        failed = lines.browse({line.id for ticket in failed_tickets for line, _rule in todo[ticket]})
        digests = defaultdict(list)  # (team, user) -> [log]
        for log, users in notifications:
            for user in users:
                digests[log.ticket_id.team_id, user].append(log)
        self._send_digests(digests)
        return done, failed

    @api.model
    def _escalate_one_by_one(self, todo, now):
        """``_escalate_lines``' fallback: each ticket in its own savepoint.
        Returns ([tickets escalated], [tickets that failed], notifications)."""
        escalated, failed, notifications = [], [], []
        for ticket, pairs in todo.items():
            try:
                with self.env.cr.savepoint():
                    ticket_notifications = self._escalate_tickets({ticket: pairs}, now)
                notifications += ticket_notifications
                escalated.append(ticket)
            except psycopg2.errors.UniqueViolation:
                _logger.info("Escalation of ticket %s skipped: already escalated by another worker", ticket.id)
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
                _logger.info("Escalation of ticket %s postponed: changed by another transaction", ticket.id)
                failed.append(ticket)
            except Exception:
                _logger.exception("Escalation of ticket %s failed; it is skipped until the next run", ticket.id)
                failed.append(ticket)
        return escalated, failed, notifications

    @api.model
    def _send_digests(self, digests):
        """One message per (team, user) of ``digests`` listing the escalations of the batch, posted
        on the team (on the ticket for a ticket without team); a failure loses no escalation."""
        for (team, user), logs in digests.items():
            body = Markup("<p>%s</p><ul>%s</ul>") % (
                self.env._("Tickets escalated for your attention:"),
                Markup().join(Markup("<li>%s: %s (%s)</li>") % (
                    log.ticket_id._get_html_link(), log.rule_id.name,
                    self.env._("level %s", log.level)) for log in logs))
            subject = self.env._("%(count)s escalated ticket(s) in %(team)s", count=len(logs),
                                 team=team.name or logs[0].ticket_id.display_name)
            thread = (team or logs[0].ticket_id).sudo().with_context(mail_notify_force_send=False)
            try:
                with self.env.cr.savepoint():
                    thread.message_notify(partner_ids=user.partner_id.ids, subject=subject, body=body)
            except Exception:
                _logger.exception("Escalation digest for %s failed; the escalations are done", user.login)

    # ------------------------------------------------------------
    # APPLYING RULES
    # ------------------------------------------------------------

    @api.model
    def _escalate_tickets(self, todo, now, reason=None):
        """Apply the rules of ``todo`` ({ticket: [(SLA line or empty, rule or empty)] in order}):
        the logs are inserted first (the unique index on (rule, SLA line) is the last guard
        against double escalation), then the rules are applied in rounds (the first pair of
        every ticket, then the second one...), each rule's actions at once on all the tickets
        it applies to in the round, each application with an internal note.
        ``reason``: a manual escalation by the current user, whose note notifies the rules'
        users at once; otherwise they are returned, to be notified in a digest: [(log, users)]."""
        Log = self.env['helpdesk.escalation.log'].sudo()
        Ticket = self.env['helpdesk.ticket']
        if reason is None:
            Ticket = Ticket.with_context(**AUTOMATION_CONTEXT)
            todo = {ticket.with_env(Ticket.env): pairs for ticket, pairs in todo.items()}
        tickets = Ticket.union(*todo)
        applied = defaultdict(set)  # ticket id -> ids of the rules applied to it
        for log in Log.search_fetch([('ticket_id', 'in', tickets.ids), ('rule_id', '!=', False)],
                                    ['ticket_id', 'rule_id']):
            applied[log.ticket_id.id].add(log.rule_id.id)
        logs = iter(Log.create([{
            'ticket_id': ticket.id,
            'rule_id': rule.id,
            'sla_status_id': line.id,
            'sla_id': line.sla_id.id,
            'date': now,
            'level': rule.level if rule else ticket.escalation_level + 1,
            'manual': reason is not None,
            'reason': reason,
            'user_id': self.env.uid if reason is not None else False,
        } for ticket, pairs in todo.items() for line, rule in pairs]))
        todo = {ticket: [(next(logs), rule) for _line, rule in pairs] for ticket, pairs in todo.items()}
        self.env['helpdesk.escalation.log'].flush_model()
        notifications = []
        for index in range(max(map(len, todo.values()), default=0)):
            by_rule = defaultdict(list)  # rule -> [(ticket, log)] of this round
            for ticket, pairs in todo.items():
                if index < len(pairs):
                    log, rule = pairs[index]
                    by_rule[rule].append((ticket, log))
            notes = {}
            for rule, applications in by_rule.items():
                rule_tickets = Ticket.union(*(ticket for ticket, _log in applications))
                first_time = rule_tickets.filtered(lambda ticket, rule=rule: rule.id not in applied[ticket.id])
                actions = rule._apply_actions(rule_tickets, first_time) if rule else defaultdict(list)
                self._mark_escalated(applications, rule, actions, now)
                for ticket, log in applications:
                    applied[ticket.id].add(rule.id)
                    users = rule._get_notified_users(ticket) if rule else self.env['res.users']
                    if users:
                        actions[ticket].append(self.env._("Notified: %s", ", ".join(users.mapped('name'))))
                        if reason is None:
                            notifications.append((log, users))
                    log.action_summary = "\n".join(actions[ticket]) or False
                    notes[ticket] = (log, rule, actions[ticket], users)
            self._post_escalation_notes(notes, reason)
        return notifications

    @api.model
    def _mark_escalated(self, applications, rule, actions, now):
        """Stamp the escalation level (and, for manual escalations and rules marking tickets
        escalated, the escalated flag and date) on the tickets of ``applications``."""
        by_vals = defaultdict(list)
        for ticket, log in applications:
            vals = {}
            if log.manual or rule.mark_escalated:
                vals['is_escalated'] = True
                if not ticket.is_escalated:
                    vals['escalation_date'] = now
                    actions[ticket].append(self.env._("Marked as escalated"))
            if log.level > ticket.escalation_level:
                vals['escalation_level'] = log.level
            if vals:
                by_vals[tuple(sorted(vals.items()))].append(ticket.id)
        for vals, ticket_ids in by_vals.items():
            self.env['helpdesk.ticket'].sudo().browse(ticket_ids).write(dict(vals))

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
            if self.raise_priority and ticket in first_time and priority < TICKET_PRIORITIES[-1][0]:
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
            for notified, group in records.grouped(self._get_notified_users).items():
                if notified:
                    group.message_subscribe(partner_ids=notified.partner_id.ids)
                    for ticket in group:
                        done[ticket].append(self.env._("Followers added: %s", ", ".join(notified.mapped('name'))))
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
        return self._escalate_tickets({ticket: pairs}, fields.Datetime.now(), reason=reason or "")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_logs(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.helpdesk_escalation_log_action')
        action.update({'domain': [('rule_id', '=', self.id)], 'context': {}})
        return action

    @api.model
    def _post_escalation_notes(self, notes, reason=None):
        """The internal notes of a round of applications ({ticket: (log, rule, actions, users)}).
        A manual escalation is posted by the agent, with their reason, and notifies the users;
        the cron's are logged by OdooBot in one batch (their users get a digest)."""
        bodies = {}
        for ticket, (log, rule, actions, users) in notes.items():
            if reason is not None:
                header = self.env._("Escalated by hand to level %s", log.level)
            elif log.sla_id:
                header = self.env._("Escalation level %(level)s: %(rule)s (SLA “%(sla)s”, %(when)s)", level=log.level,
                                    rule=rule.name, sla=log.sla_id.name, when=rule.trigger_description)
            else:
                header = self.env._("Escalation level %(level)s: %(rule)s", level=log.level, rule=rule.name)
            body = Markup("<p><b>%s</b></p>") % header
            if reason:
                body += Markup("<blockquote>%s</blockquote>") % reason
            if rule and reason is not None:
                body += Markup("<p>%s</p>") % self.env._("Rule applied: %s", rule.name)
            if actions:
                body += Markup("<ul>%s</ul>") % Markup().join(Markup("<li>%s</li>") % action for action in actions)
            if reason is not None:
                ticket.message_post(body=body, subtype_xmlid='mail.mt_note', partner_ids=users.partner_id.ids)
            else:
                bodies[ticket.id] = body
        if bodies:
            tickets = self.env['helpdesk.ticket'].browse(bodies).with_context(**AUTOMATION_CONTEXT)._as_automation()
            tickets._message_log_batch(bodies=bodies)
