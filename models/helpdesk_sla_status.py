from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..core import AlwaysOn, consumed, deadline, due_at_fraction
from ..core.constants import SLA_STATES

ALWAYS_ON = AlwaysOn()


class SlaClock:
    """The working-time schedules a batch of SLA lines runs on.

    Each calendar is expanded once (``resource.calendar._work_intervals_batch``)
    over a window that starts at the batch's earliest clock start and doubles
    on demand, so a whole batch costs one expansion per calendar, not one per line.
    """

    INITIAL_WINDOW = timedelta(days=60)
    MAX_WINDOW = timedelta(days=366 * 5)

    def __init__(self, env, start):
        self.env = env
        self.start = start - timedelta(days=1)
        self._windows = {}  # calendar id -> (window end, WorkSchedule)

    def schedule(self, calendar, until):
        """Schedule of ``calendar`` (24/7 when empty) covering [start, until]."""
        if not calendar:
            return ALWAYS_ON
        end, schedule = self._windows.get(calendar.id, (None, None))
        if end is None or until > end:
            end = max(until, self.start + self.INITIAL_WINDOW, end or until)
            schedule = calendar._helpdesk_schedule(self.start, end)
            self._windows[calendar.id] = (end, schedule)
        return schedule

    def solve(self, calendar, question, until=None):
        """Answer ``question(schedule)`` -> datetime, widening the window until it is answered."""
        until = until or self.start + self.INITIAL_WINDOW
        while True:
            answer = question(self.schedule(calendar, until))
            if answer is not None:
                return answer
            span = until - self.start
            if span > self.MAX_WINDOW:
                raise UserError(self.env._(
                    "The working hours “%s” have no working time in the next five years: "
                    "no SLA deadline can be computed on them.", calendar.name))
            until = self.start + span * 2

    def elapsed(self, calendar, start, end):
        if end <= start:
            return 0.0
        return self.schedule(calendar, end).elapsed(start, end)


class HelpdeskSlaStatus(models.Model):
    """One SLA policy applied to one ticket: its clock, deadline and outcome.

    Clock fields are plain stored values, written by the business methods below
    on each event (creation, stage change, reply), so a batch of tickets costs a
    handful of queries. ``status`` is stored for grouping; the time-driven moves
    (ongoing -> warning -> failed) are also applied by a cron, while searches such
    as ``sla_fail`` compare dates with the current time in SQL and are always exact.
    """

    _name = 'helpdesk.sla.status'
    _description = "Ticket SLA Line"
    _order = 'deadline, id'
    _rec_name = 'sla_id'

    ticket_id = fields.Many2one('helpdesk.ticket', required=True, index=True, ondelete='cascade')
    sla_id = fields.Many2one('helpdesk.sla', string="SLA Policy", required=True, index=True, ondelete='cascade')
    target_type = fields.Selection(
        selection=lambda self: self.env['helpdesk.sla']._fields['target_type'].selection,
        required=True, readonly=True, help="The policy's target kind, copied when the clock starts.")
    sla_stage_id = fields.Many2one(related='sla_id.stage_id', string="Target Stage")
    # the ticket's team and priority, stored for the SLA reports (grouped without joining tickets)
    team_id = fields.Many2one(related='ticket_id.team_id', store=True)
    priority = fields.Selection(related='ticket_id.priority', store=True)
    company_id = fields.Many2one('res.company', readonly=True, index=True, help="The ticket's company.")
    start_date = fields.Datetime(string="Started On", required=True)
    deadline = fields.Datetime(readonly=True)
    warning_date = fields.Datetime(string="At Risk From", readonly=True)
    reached_datetime = fields.Datetime(string="Reached On", readonly=True)
    paused_seconds = fields.Float(
        string="Working Seconds Paused", readonly=True,
        help="Working time spent in excluded stages, in finished pauses.")
    pause_start = fields.Datetime(string="Paused Since", readonly=True)
    is_paused = fields.Boolean(
        string="Paused", compute='_compute_is_paused', search='_search_is_paused',
        help="Not reached, and its clock stopped: the ticket sits in a stage the policy excludes.")
    is_failed = fields.Boolean(
        string="Failed", compute='_compute_is_failed', search='_search_is_failed',
        help="Not reached and past its deadline now (a paused line: past it before its pause).")
    is_at_risk = fields.Boolean(
        string="At Risk", compute='_compute_is_at_risk', search='_search_is_at_risk',
        help="Not reached, not failed, and past its warning date (a paused line: before its pause).")
    status = fields.Selection(SLA_STATES, required=True, default='ongoing', readonly=True, index=True)
    exceeded_hours = fields.Float(
        string="Hours Late", readonly=True,
        help="Working hours between the deadline and the moment the target was reached late.")
    reached_hours = fields.Float(
        string="Time to Target (h)", readonly=True,
        help="Hours counted on the clock (pauses excluded) from its start to the moment the target was reached.")
    consumed_hours = fields.Float(compute='_compute_clock_hours', string="Time Used (h)")
    remaining_hours = fields.Float(compute='_compute_clock_hours', string="Time Left (h)")
    color = fields.Integer(compute='_compute_color')
    escalation_due_date = fields.Datetime(
        string="Next Escalation", compute='_compute_escalation_due_date', store=True, readonly=True,
        help="When the next escalation rule in scope of this line fires; empty when paused, reached or "
             "when no rule is left.")
    escalation_log_ids = fields.One2many('helpdesk.escalation.log', 'sla_status_id', string="Escalations")
    active = fields.Boolean(
        default=True, readonly=True,
        help="Cleared when the policy no longer matches the ticket (the line is dropped): a dropped line is "
             "left out of every figure, its clock held; if the policy matches again the line continues.")
    event_ids = fields.One2many('helpdesk.sla.event', 'status_id', string="Events")
    breach_reason_id = fields.Many2one(
        'helpdesk.sla.breach.reason', string="Breach Reason", index='btree_not_null', ondelete='restrict',
        help="Why the target was missed (failed or reached late lines).")
    breach_note = fields.Text(string="Breach Note")
    is_exempt = fields.Boolean(
        string="Exempt", default=False,
        help="Set by a helpdesk manager: the line never counts as failed nor late (e.g. the customer caused "
             "the delay). Removing the exemption restores its true status.")
    exempt_reason = fields.Char(string="Exemption Reason", groups='helpdesk_sla.group_helpdesk_manager')

    _one_open_line = models.UniqueIndex(
        '(ticket_id, sla_id) WHERE reached_datetime IS NULL',
        "A ticket has at most one running SLA line per SLA policy.")
    _one_line_per_policy = models.UniqueIndex(
        "(ticket_id, sla_id) WHERE target_type NOT IN ('next_response', 'periodic_update')",
        "A ticket has one line per first-response, resolution or assignment SLA policy.")
    _open_deadline_idx = models.Index('(deadline) WHERE reached_datetime IS NULL')
    _warning_idx = models.Index("(warning_date) WHERE status = 'ongoing'")
    # reports: targets reached in a period; running lines at risk (deadline ahead, warning passed)
    _reached_idx = models.Index('(reached_datetime) WHERE reached_datetime IS NOT NULL')
    _at_risk_idx = models.Index('(deadline, warning_date) WHERE reached_datetime IS NULL AND pause_start IS NULL')
    _escalation_due_idx = models.Index('(escalation_due_date) WHERE escalation_due_date IS NOT NULL')

    def init(self):
        result = super().init()
        # rows inserted in bulk by SQL (imports, benchmarks, other engines) count as not dropped
        # and not exempt without naming these columns
        self.env.cr.execute("""ALTER TABLE helpdesk_sla_status ALTER COLUMN active SET DEFAULT TRUE,
                                                           ALTER COLUMN is_exempt SET DEFAULT FALSE""")
        return result

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends('pause_start', 'reached_datetime')
    def _compute_is_paused(self):
        for line in self:
            line.is_paused = line._is_paused()

    def _search_is_paused(self, operator, value):
        return self._search_state(operator, value, self._sql_paused)

    @api.depends('reached_datetime', 'deadline', 'pause_start', 'is_exempt', 'active')
    def _compute_is_failed(self):
        now = fields.Datetime.now()
        for line in self:
            line.is_failed = line._state_of(line, now) == 'failed'

    def _search_is_failed(self, operator, value):
        return self._search_state(operator, value, self._sql_failed)

    @api.depends('reached_datetime', 'deadline', 'warning_date', 'pause_start', 'is_exempt', 'active')
    def _compute_is_at_risk(self):
        now = fields.Datetime.now()
        for line in self:
            line.is_at_risk = line._state_of(line, now) == 'warning'

    def _search_is_at_risk(self, operator, value):
        return self._search_state(operator, value, self._sql_at_risk)

    def _search_state(self, operator, value, sql_state):
        if operator not in ('in', 'not in'):
            return NotImplemented
        lines = self._lines_where(sql_state)
        return lines if (operator == 'in') == (True in value) else ~lines

    @api.model
    def _lines_where(self, sql_state):
        """Domain of the lines meeting ``sql_state(alias, now)`` (one of the SQL builders of
        the SLA states below, or a combination of them) at the current time."""
        self.flush_model(self.STATE_COLUMNS)
        return Domain('id', 'in', SQL(
            "SELECT line.id FROM helpdesk_sla_status line WHERE %s", sql_state('line', fields.Datetime.now())))

    @api.depends('start_date', 'paused_seconds', 'pause_start', 'reached_datetime')
    def _compute_clock_hours(self):
        now = fields.Datetime.now()
        if not self:
            return
        clock = SlaClock(self.env, min(self.mapped('start_date'), default=now))
        for line in self:
            if not line.start_date:
                line.consumed_hours = line.remaining_hours = 0.0
                continue
            calendar = line.sla_id._get_schedule_calendar()
            until = line.reached_datetime or now
            paused = line.paused_seconds + (
                clock.elapsed(calendar, line.pause_start, until) if line.pause_start else 0.0)
            used = consumed(clock.schedule(calendar, until), line.start_date, until, paused)
            line.consumed_hours = used / 3600.0
            line.remaining_hours = line.sla_id.time - line.consumed_hours

    @api.depends('start_date', 'paused_seconds', 'pause_start', 'reached_datetime', 'escalation_log_ids',
                 'ticket_id.active', 'ticket_id.team_id', 'ticket_id.priority', 'ticket_id.company_id', 'active')
    def _compute_escalation_due_date(self):
        """Earliest trigger among the escalation rules in scope not applied yet (recomputed in
        batch whenever the clock, the ticket's scope or the applied escalations change; rule
        changes recompute the lines they may concern). Dropped lines have none."""
        plan = self.env['helpdesk.escalation.rule']._plan_escalations(self.filtered('active'))
        for line in self:
            pending = plan.get(line)
            line.escalation_due_date = min(due for due, _rule in pending) if pending else False

    @api.depends('status', 'pause_start')
    def _compute_color(self):
        colors = {'ongoing': 0, 'warning': 2, 'failed': 1, 'reached': 10}
        for line in self:
            line.color = 4 if line._is_paused() and line.status != 'failed' else colors[line.status]

    # ------------------------------------------------------------
    # SLA STATES: each defined once, in Python and in SQL
    # ------------------------------------------------------------
    # Every figure goes through these (the ticket's flags, summary and searches, the
    # dashboard, the SLA analysis, the compliance report): a rule of what counts as failed
    # changes here, in one Python method and one SQL builder, and nowhere else.

    STATE_COLUMNS = ['reached_datetime', 'deadline', 'warning_date', 'pause_start', 'exceeded_hours',
                     'is_exempt', 'active']

    @api.model
    def _fail_date_of(self, line):
        """From when an SLA line counts as failed: its deadline; never (None) once reached,
        nor while paused since before its deadline, nor when exempt or dropped. ``line``: a
        record, or a dict of the ``STATE_COLUMNS`` values."""
        if line['reached_datetime'] or line['is_exempt'] or not line['active'] \
                or (line['pause_start'] and line['deadline'] >= line['pause_start']):
            return None
        return line['deadline']

    @api.model
    def _state_of(self, line, now):
        """The state of an SLA line at ``now`` (``line`` as for ``_fail_date_of``): 'reached';
        'failed' past its fail date; 'warning' (at risk) past its warning date, a paused line
        as it stood when it paused; else 'ongoing' (an exempt line is never at risk)."""
        if line['reached_datetime']:
            return 'reached'
        fail_date = self._fail_date_of(line)
        if fail_date and fail_date < now:
            return 'failed'
        if not line['is_exempt'] and line['warning_date'] <= (line['pause_start'] or now):
            return 'warning'
        return 'ongoing'

    def _is_paused(self):
        """Running and stopped (the ticket sits in a stage the policy excludes)."""
        self.ensure_one()
        return bool(self.pause_start) and not self.reached_datetime

    def _is_reached_late(self):
        """Reached, after its deadline (an exempt line is never late)."""
        self.ensure_one()
        return bool(self.reached_datetime) and self.exceeded_hours > 0 and not self.is_exempt

    @api.model
    def _sql_counted(self, alias, now=None):
        """SQL condition: the line counts in the figures (not dropped on re-match)."""
        return SQL("(%s.active IS NOT FALSE)", SQL.identifier(alias))

    @api.model
    def _sql_paused(self, alias, now=None):
        """SQL condition of ``_is_paused`` on the table alias ``alias``."""
        line = SQL.identifier(alias)
        return SQL("(%(counted)s AND %(line)s.reached_datetime IS NULL AND %(line)s.pause_start IS NOT NULL)",
                   line=line, counted=self._sql_counted(alias))

    @api.model
    def _sql_fail_date(self, alias, now=None):
        """SQL expression of ``_fail_date_of`` (NULL for never)."""
        line = SQL.identifier(alias)
        return SQL(
            """(CASE WHEN %(counted)s AND %(line)s.is_exempt IS NOT TRUE AND %(line)s.reached_datetime IS NULL
                     AND (%(line)s.pause_start IS NULL OR %(line)s.deadline < %(line)s.pause_start)
                   THEN %(line)s.deadline END)""",
            line=line, counted=self._sql_counted(alias))

    @api.model
    def _sql_failed(self, alias, now):
        """SQL condition of the 'failed' state at ``now`` (see ``_fail_date_of``)."""
        line = SQL.identifier(alias)
        return SQL(
            """(%(counted)s AND %(line)s.is_exempt IS NOT TRUE
                AND %(line)s.reached_datetime IS NULL AND %(line)s.deadline < %(now)s
                AND (%(line)s.pause_start IS NULL OR %(line)s.deadline < %(line)s.pause_start))""",
            line=line, now=now, counted=self._sql_counted(alias))

    @api.model
    def _sql_at_risk(self, alias, now):
        """SQL condition of the 'warning' (at risk) state at ``now`` (see ``_state_of``)."""
        line = SQL.identifier(alias)
        return SQL(
            """(%(counted)s AND %(line)s.is_exempt IS NOT TRUE AND %(line)s.reached_datetime IS NULL
                AND NOT %(failed)s AND %(line)s.warning_date <= COALESCE(%(line)s.pause_start, %(now)s))""",
            line=line, failed=self._sql_failed(alias, now), now=now, counted=self._sql_counted(alias))

    @api.model
    def _sql_reached_on_time(self, alias, now=None):
        """SQL condition: reached by its deadline, or exempt and reached (a target met)."""
        line = SQL.identifier(alias)
        return SQL(
            """(%(counted)s AND %(line)s.reached_datetime IS NOT NULL
                AND (%(line)s.exceeded_hours = 0 OR %(line)s.is_exempt IS TRUE))""",
            line=line, counted=self._sql_counted(alias))

    @api.model
    def _sql_reached_late(self, alias, now=None):
        """SQL condition of ``_is_reached_late``."""
        line = SQL.identifier(alias)
        return SQL(
            """(%(counted)s AND %(line)s.reached_datetime IS NOT NULL AND %(line)s.exceeded_hours > 0
                AND %(line)s.is_exempt IS NOT TRUE)""",
            line=line, counted=self._sql_counted(alias))

    @api.model
    def _sql_missed(self, alias, now):
        """SQL condition: the target is missed at ``now`` (reached late, or failed)."""
        return SQL("(%s OR %s)", self._sql_reached_late(alias), self._sql_failed(alias, now))

    @api.model
    def _sql_state(self, alias, now):
        """SQL expression of ``_state_of``."""
        line = SQL.identifier(alias)
        return SQL(
            """CASE WHEN %(line)s.reached_datetime IS NOT NULL THEN 'reached'
                    WHEN %(failed)s THEN 'failed'
                    WHEN %(at_risk)s THEN 'warning'
                    ELSE 'ongoing' END""",
            line=line, failed=self._sql_failed(alias, now), at_risk=self._sql_at_risk(alias, now))

    # ------------------------------------------------------------
    # SLA LINES: CREATION AND CLOCK EVENTS
    # ------------------------------------------------------------

    LINE_COLUMNS = ('ticket_id', 'sla_id', 'target_type', 'company_id', 'team_id', 'priority', 'start_date',
                    'deadline', 'warning_date', 'status', 'pause_start', 'paused_seconds')

    @api.model
    def _create_lines(self, vals_list):
        """Insert new SLA lines in one statement, put them in the cache like ``create`` does and
        let their tickets recompute their SLA summary from that cache.

        Bulk intake creates two or more SLA lines per ticket; the generic ORM ``create`` cost
        more than all the clock arithmetic, so the rows (whose values are all computed by
        the caller, keys ``LINE_COLUMNS``) are inserted directly, one array per column."""
        if not vals_list:
            return self.browse()
        self.flush_model()  # the unique indexes on open lines check the database
        uid, now = self.env.uid, fields.Datetime.now()
        columns = [self._fields[column] for column in self.LINE_COLUMNS]
        arrays = [[vals.get(field.name) or (0.0 if field.type == 'float' else None) for vals in vals_list]
                  for field in columns]
        # the lines and their 'start' events (and 'pause' ones for lines born paused) in one statement
        ids = [row[0] for row in self.env.execute_query(SQL(
            """WITH line AS (
                   INSERT INTO helpdesk_sla_status (%(columns)s, active, is_exempt,
                                                    create_uid, create_date, write_uid, write_date)
                   SELECT *, TRUE, FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s FROM unnest(%(arrays)s)
                   RETURNING id, ticket_id, sla_id, team_id, start_date, pause_start, deadline
               ), event AS (
                   INSERT INTO helpdesk_sla_event (status_id, ticket_id, sla_id, team_id, event_type, date,
                                                   deadline, user_id)
                   SELECT id, ticket_id, sla_id, team_id, kind.event_type,
                          CASE WHEN kind.event_type = 'start' THEN start_date ELSE pause_start END,
                          deadline, %(uid)s
                     FROM line, (VALUES ('start'), ('pause')) AS kind(event_type)
                    WHERE kind.event_type = 'start' OR line.pause_start IS NOT NULL
               )
               SELECT id FROM line ORDER BY id""",
            columns=SQL(', ').join(SQL.identifier(field.name) for field in columns),
            arrays=SQL(', ').join(SQL('%s::' + field.column_type[1] + '[]', array)
                                  for field, array in zip(columns, arrays, strict=True)),
            uid=uid, now=now))]
        lines = self.browse(ids)
        self._cache_new_lines(lines, columns, arrays, {'create_uid': uid, 'create_date': now, 'active': True,
                                                       'is_exempt': False, 'write_uid': uid, 'write_date': now})
        lines.ticket_id.modified(['sla_status_ids'])
        # their start (and pause) events were inserted by the same statement: read on demand
        lines.invalidate_recordset(['event_ids'])
        lines.ticket_id.invalidate_recordset(['sla_event_ids'])
        if self.env['helpdesk.escalation.rule'].sudo().search_count([], limit=1):
            self.env.add_to_compute(self._fields['escalation_due_date'], lines)  # when the next escalation is due
        return lines

    def _cache_new_lines(self, lines, columns, arrays, constants):
        """What ``create`` does after its INSERT: the row values in cache (as a fetch would
        put them), the other stored fields empty, and each line added to its ticket's
        ``sla_status_ids`` when that one is in cache."""
        inserted = {field.name for field in columns} | set(constants) | {'id'}
        for field in self._fields.values():
            if field.store and field.name not in inserted:
                field._update_cache(lines, () if field.type in ('one2many', 'many2many') else None)
        for name, value in constants.items():
            self._fields[name]._update_cache(lines, value)
        for field, array in zip(columns, arrays, strict=True):
            field._insert_cache(lines, array)
        ticket_field = self._fields['ticket_id']
        for ticket, ticket_lines in lines.grouped('ticket_id').items():
            ticket_field._update_inverses(ticket_lines, ticket.id)

    @api.model
    def _clock_values(self, clock, sla, start, paused, pause_start, now, exempt=False):
        """Deadline, warning date and status of a running (unreached) clock."""
        calendar = sla._get_schedule_calendar()
        target = sla._get_target_seconds()
        values = {
            'reached_datetime': False,
            'deadline': clock.solve(calendar, lambda s: deadline(s, start, target, paused)),
            'warning_date': clock.solve(
                calendar, lambda s: due_at_fraction(s, start, target, paused, sla.warning_pct / 100.0)),
            'pause_start': pause_start,
            'is_exempt': exempt,
            'active': True,
        }
        return {'deadline': values['deadline'], 'warning_date': values['warning_date'],
                'status': self._state_of(values, now)}

    def _is_target_stage_reached(self):
        """The ticket sits in the policy's target stage or a later one, or is closed."""
        self.ensure_one()
        return self.sla_id._is_reached_in_stage(self.ticket_id.stage_id)

    def _reach(self, when):
        """Mark running lines reached at ``when``; late ones record their working hours late."""
        lines = self.filtered(lambda line: not line.reached_datetime)
        if not lines:
            return
        lines._resume(when)
        clock = SlaClock(self.env, min(lines.mapped('start_date')))
        events = []
        for line in lines:
            calendar = line.sla_id._get_schedule_calendar()
            used = consumed(clock.schedule(calendar, when), line.start_date, when, line.paused_seconds)
            late = max(0.0, used - line.sla_id._get_target_seconds()) / 3600.0
            line.write({
                'reached_datetime': when,
                'status': 'reached',
                'exceeded_hours': late if when > line.deadline else 0.0,
                'reached_hours': used / 3600.0,
            })
            events.append(line._event_row('reach', when))
        self.env['helpdesk.sla.event']._log(events)

    def _pause(self, when):
        lines = self.filtered(lambda line: not line.reached_datetime and not line.pause_start)
        if not lines:
            return
        lines.write({'pause_start': when})
        self.env['helpdesk.sla.event']._log([
            line._event_row('pause', when, stage_id=line.ticket_id.stage_id.id) for line in lines])

    def _resume(self, when, log=True):
        """Restart paused lines: the working time spent paused pushes the deadline back."""
        lines = self.filtered(lambda line: not line.reached_datetime and line.pause_start)
        if not lines:
            return
        clock = SlaClock(self.env, min(lines.mapped('start_date') + lines.mapped('pause_start')))
        events = []
        paused_in = lines._last_pause_stages() if log else {}
        for line in lines:
            calendar = line.sla_id._get_schedule_calendar()
            paused = line.paused_seconds + clock.elapsed(calendar, line.pause_start, when)
            values = self._clock_values(clock, line.sla_id, line.start_date, paused, False, when, line.is_exempt)
            events.append(line._event_row('resume', when, previous_deadline=line.deadline,
                                          pause_start=line.pause_start, stage_id=paused_in.get(line.id),
                                          deadline=values['deadline']))
            line.write(dict(values, paused_seconds=paused, pause_start=False))
        if log:
            self.env['helpdesk.sla.event']._log(events)

    def _last_pause_stages(self):
        """The stage each line last paused in, from its audit trail (one query): {line id: stage id}."""
        return dict(self.env.execute_query(SQL(
            """SELECT DISTINCT ON (status_id) status_id, stage_id FROM helpdesk_sla_event
                WHERE status_id = ANY(%s) AND event_type = 'pause'
             ORDER BY status_id, date DESC, id DESC""", self.ids)))

    def _event_row(self, event_type, when, **values):
        """The values of one audit-trail event of this line (for ``helpdesk.sla.event._log``)."""
        self.ensure_one()
        return dict({'status_id': self.id, 'ticket_id': self.ticket_id.id, 'event_type': event_type,
                     'date': when, 'deadline': self.deadline, 'user_id': self.env.uid}, **values)

    def _drop(self, when):
        """The policy no longer matches: keep the line, out of every figure, its clock held
        (a running line pauses at ``when``) so that if the policy matches again the line
        continues where it stood: same start, pauses and escalations."""
        lines = self.filtered(lambda line: line.active and not line.reached_datetime)
        if not lines:
            return
        self.env['helpdesk.sla.event']._log([line._event_row('drop', when) for line in lines])
        lines.filtered(lambda line: not line.pause_start).write({'pause_start': when})
        lines.write({'active': False})
        lines.ticket_id.invalidate_recordset(['sla_status_ids'])
        lines.ticket_id.modified(['sla_status_ids'])

    def _revive(self, when):
        """The policy of dropped lines matches again: the lines count again and their clock
        goes on (the time while dropped was held like a pause), paused again if the ticket
        sits in a stage the policy excludes."""
        lines = self.filtered(lambda line: not line.active and not line.reached_datetime)
        if not lines:
            return
        lines.write({'active': True})
        lines.ticket_id.invalidate_recordset(['sla_status_ids'])
        lines.ticket_id.modified(['sla_status_ids'])
        running = lines.filtered(lambda line: line.ticket_id.stage_id not in line.sla_id.exclude_stage_ids)
        running._resume(when)
        for line in lines:
            line.status = self._state_of(line, when)
        self.env['helpdesk.sla.event']._log([
            line._event_row('drop', when, detail='rematch') for line in lines])

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Lines created through the ORM (the engine inserts them in bulk: ``_create_lines``)
        get their 'start' event too."""
        lines = super().create(vals_list)
        self.env['helpdesk.sla.event'].sudo()._log([
            line._event_row('start', line.start_date) for line in lines if line.start_date])
        return lines

    EXEMPT_FIELDS = frozenset({'is_exempt', 'exempt_reason'})
    BREACH_FIELDS = frozenset({'breach_reason_id', 'breach_note'})

    def write(self, vals):
        """Users edit an SLA line only to explain a breach (agents: reason and note on failed or
        late lines) or, helpdesk managers only, to exempt it; the engine writes the rest as
        superuser. An exemption (or its removal) writes an 'exempt' event naming who did it and
        restores the line's status from the state definitions."""
        if not self.env.su:
            self._check_user_write(vals)
        exempt_changed = self.browse()
        if 'is_exempt' in vals:
            exempt_changed = self.filtered(lambda line: line.is_exempt != bool(vals['is_exempt']))
        result = super().write(vals)
        if exempt_changed:
            now = fields.Datetime.now()
            Status = self.sudo()
            for line in exempt_changed.sudo():
                state = Status._state_of(line, now)
                if line.status != state:
                    super(HelpdeskSlaStatus, line).write({'status': state})
            reason = vals.get('exempt_reason') or False
            self.env['helpdesk.sla.event'].sudo()._log([
                line._event_row('exempt', now, note=reason if line.is_exempt else False,
                                detail=False if line.is_exempt else 'undo')
                for line in exempt_changed])
        return result

    def _check_user_write(self, vals):
        is_manager = self.env.user.has_group('helpdesk_sla.group_helpdesk_manager')
        allowed = self.BREACH_FIELDS | (self.EXEMPT_FIELDS if is_manager else frozenset())
        if not set(vals) <= allowed:
            if self.EXEMPT_FIELDS & set(vals) and not is_manager:
                raise AccessError(self.env._("Only helpdesk managers can exempt an SLA line."))
            raise AccessError(self.env._(
                "SLA lines are kept by the SLA engine: only a breach reason and note (and, for managers, "
                "an exemption) can be set by hand."))
        if self.BREACH_FIELDS & set(vals):
            now = fields.Datetime.now()
            if any(not (line._is_reached_late() or line.exceeded_hours > 0 or line._state_of(line, now) == 'failed'
                        or (line.is_exempt and line.deadline and (line.reached_datetime or now) > line.deadline))
                   for line in self):
                raise UserError(self.env._("A breach reason is given on a failed or late SLA line only."))

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_refresh_status(self):
        """Apply the moves that only time makes: ongoing -> at risk -> failed (two indexed queries),
        and write the 'breach' event of each line that failed, dated at its deadline (one query)."""
        self.flush_model()
        now = fields.Datetime.now()
        self.env.execute_query(SQL(
            """INSERT INTO helpdesk_sla_event (status_id, ticket_id, sla_id, team_id, event_type, date, deadline)
               SELECT line.id, line.ticket_id, line.sla_id, line.team_id, 'breach', line.deadline, line.deadline
                 FROM helpdesk_sla_status line
                WHERE %(failed)s
                  AND NOT EXISTS (SELECT 1 FROM helpdesk_sla_event event
                                   WHERE event.status_id = line.id AND event.event_type = 'breach'
                                     AND event.date = line.deadline)""",
            failed=self._sql_failed('line', now)))
        self.env['helpdesk.sla.event'].invalidate_model()
        running = Domain('reached_datetime', '=', False) & Domain('pause_start', '=', False)
        self.search(running & Domain('status', 'in', ['ongoing', 'warning']) & Domain('is_failed', '=', True)
                    ).write({'status': 'failed'})
        self.search(running & Domain('status', '=', 'ongoing') & Domain('is_at_risk', '=', True)
                    ).write({'status': 'warning'})
