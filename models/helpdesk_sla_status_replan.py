from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..core import deadline, due_at_fraction
from ..core.constants import SLA_STATE_SEVERITY
from .helpdesk_sla_status import SlaClock

# above this many open SLA lines, a policy or calendar change re-plans them in the background
REPLAN_INLINE_LIMIT = 2000
REPLAN_BATCH_SIZE = 10_000


class HelpdeskSlaStatus(models.Model):
    """Re-planning: when a policy's target, basis, excluded stages or warning threshold, or the
    working time of a calendar in use changes, the open SLA lines it concerns get the deadline
    (and warning date, next escalation) they would have had if the setting had always been so:
    start + the new target in working time + the working time spent paused, the pauses counted
    again on the new working time from the audit trail. Set-based: one read, arithmetic on
    calendars expanded once per batch, one UPDATE and one event INSERT per batch of lines."""

    _inherit = 'helpdesk.sla.status'

    replan_reason = fields.Selection(
        [('policy', "Policy changed"), ('calendar', "Working hours changed")], readonly=True,
        index='btree_not_null', help="Set while the line waits to be re-planned in the background.")

    # ------------------------------------------------------------
    # REQUESTS
    # ------------------------------------------------------------

    @api.model
    def _request_replan(self, reason, slas=None, calendars=None, all_calendars=False):
        """Re-plan the open lines of the policies ``slas``, or of the policies counted on the
        working hours ``calendars`` (of every calendar with ``all_calendars``: a public holiday).
        Small sets are re-planned at once; larger ones are marked and left to the re-planning
        cron, triggered now. Returns (number of lines, True when left to the background)."""
        self.env.flush_all()
        if slas is not None:
            scope = SQL("line.sla_id = ANY(%s)", slas.ids)
        else:
            scope = SQL(
                """sla.time_basis = 'calendar' AND (%s OR team.resource_calendar_id = ANY(%s))""",
                bool(all_calendars), (calendars or self.env['resource.calendar']).ids)
        ids = [row[0] for row in self.env.execute_query(SQL(
            """SELECT line.id FROM helpdesk_sla_status line
                 JOIN helpdesk_sla sla ON sla.id = line.sla_id
                 JOIN helpdesk_team team ON team.id = sla.team_id
                WHERE line.reached_datetime IS NULL AND %s""", scope))]
        if not ids:
            return 0, False
        if len(ids) <= REPLAN_INLINE_LIMIT:
            self.sudo().browse(ids)._replan(reason)
            return len(ids), False
        for chunk in tools.split_every(REPLAN_BATCH_SIZE, ids):
            self.env.execute_query(SQL(
                "UPDATE helpdesk_sla_status SET replan_reason = %s WHERE id = ANY(%s)", reason, list(chunk)))
        self.invalidate_model(['replan_reason'])
        self.env.ref('helpdesk_sla.ir_cron_helpdesk_sla_replan')._trigger()
        self.env.user._bus_send('simple_notification', {
            'type': 'info', 'sticky': False, 'title': self.env._("SLA re-planning"),
            'message': self.env._("%s open SLA lines are being re-planned in the background.", len(ids)),
        })
        return len(ids), True

    @api.model
    def _cron_replan(self, batch_size=REPLAN_BATCH_SIZE, commit=True):
        """Re-plan the lines waiting for it, batch by batch, committing progress (``commit``).
        Returns the number of lines re-planned."""
        Cron = self.env['ir.cron']
        total = 0
        while True:
            rows = self.env.execute_query(SQL(
                """SELECT id, replan_reason FROM helpdesk_sla_status WHERE replan_reason IS NOT NULL
                 ORDER BY id LIMIT %s""", batch_size))
            if not rows:
                if commit:
                    Cron._commit_progress(remaining=0)
                return total
            by_reason = defaultdict(list)
            for line_id, reason in rows:
                by_reason[reason].append(line_id)
            for reason, ids in by_reason.items():
                self.sudo().browse(ids)._replan(reason)
            total += len(rows)
            if not commit:
                continue
            remaining = self.env.execute_query(SQL(
                "SELECT COUNT(*) FROM helpdesk_sla_status WHERE replan_reason IS NOT NULL"))[0][0]
            if not Cron._commit_progress(len(rows), remaining=remaining):
                return total

    # ------------------------------------------------------------
    # RE-PLANNING
    # ------------------------------------------------------------

    def _replan(self, reason):
        """Re-plan these open lines (see the class docstring); lines whose deadline or warning
        date moves get a 'replan' event. Returns the number of lines whose dates moved."""
        if not self:
            return 0
        self.env.flush_all()
        now = fields.Datetime.now()
        rows = self.env.execute_query(SQL(
            """SELECT id, ticket_id, sla_id, start_date, paused_seconds, pause_start, deadline, warning_date,
                      status, is_exempt, active
                 FROM helpdesk_sla_status WHERE id = ANY(%s) AND reached_datetime IS NULL""", self.ids))
        if not rows:
            self._replan_done()
            return 0
        pauses = self._pause_intervals([row[0] for row in rows if row[4] or row[5]])
        clock = SlaClock(self.env, min(row[3] for row in rows))
        policies, answers, changes, events = {}, {}, [], []
        for line_id, ticket_id, sla_id, start, paused, pause_start, old_deadline, old_warning, status, exempt, \
                active in rows:
            if sla_id not in policies:
                sla = self.env['helpdesk.sla'].sudo().browse(sla_id)
                policies[sla_id] = (sla._get_schedule_calendar(), sla._get_target_seconds(), sla.warning_pct / 100.0)
            calendar, target, fraction = policies[sla_id]
            if line_id in pauses:  # the finished pauses, counted again on the (new) working time
                paused = sum(clock.elapsed(calendar, begin, end) for begin, end in pauses[line_id])
            key = (sla_id, start, paused)
            if key not in answers:
                answers[key] = (
                    clock.solve(calendar, lambda s, a=(start, target, paused): deadline(s, *a)),
                    clock.solve(calendar, lambda s, a=(start, target, paused, fraction): due_at_fraction(s, *a)))
            new_deadline, new_warning = answers[key]
            new_status = self._state_of({
                'reached_datetime': False, 'deadline': new_deadline, 'warning_date': new_warning,
                'pause_start': pause_start, 'is_exempt': exempt, 'active': active}, now)
            if (new_deadline, new_warning, new_status) != (old_deadline, old_warning, status) or line_id in pauses:
                changes.append((line_id, new_deadline, new_warning, new_status, paused))
            if new_deadline != old_deadline or new_warning != old_warning:
                events.append({'status_id': line_id, 'ticket_id': ticket_id, 'event_type': 'replan', 'date': now,
                               'deadline': new_deadline, 'previous_deadline': old_deadline,
                               'user_id': self.env.uid, 'detail': reason})
        if changes:
            line_ids, deadlines, warnings, states, paused = zip(*changes, strict=True)
            self.env.execute_query(SQL(
                """UPDATE helpdesk_sla_status line
                      SET deadline = new.deadline, warning_date = new.warning_date, status = new.status,
                          paused_seconds = new.paused, replan_reason = NULL, write_date = %s, write_uid = %s
                     FROM unnest(%s::int[], %s::timestamp[], %s::timestamp[], %s::varchar[], %s::float8[])
                          AS new(id, deadline, warning_date, status, paused)
                    WHERE line.id = new.id""",
                now, self.env.uid, list(line_ids), list(deadlines), list(warnings), list(states), list(paused)))
        self.env['helpdesk.sla.event']._log(events)
        self._replan_done()
        moved = self.browse(line_ids) if changes else self.browse()
        self.invalidate_model(['deadline', 'warning_date', 'status', 'paused_seconds', 'replan_reason'])
        if moved:
            # the tickets' stored SLA summary and the next escalations follow the new dates
            self._refresh_ticket_summaries({row[1] for row in rows})
            if self.env['helpdesk.escalation.rule'].sudo().search_count([], limit=1):
                self.env.add_to_compute(self._fields['escalation_due_date'], moved)
                moved.flush_recordset(['escalation_due_date'])
        return len(moved)

    @api.model
    def _refresh_ticket_summaries(self, ticket_ids):
        """Rewrite the SLA summary the tickets store (``sla_deadline``, ``sla_fail_date``,
        ``sla_status``: what ``helpdesk.ticket._compute_sla_fields`` computes from the open
        lines) in one UPDATE from the SLA state builders, for re-planning at volume; a test
        and the benchmark compare it with the ORM's recompute. ``sla_reached_late`` and
        ``sla_success`` depend on reached lines only, which re-planning leaves alone."""
        Ticket = self.env['helpdesk.ticket']
        Ticket.flush_model(['sla_deadline', 'sla_fail_date', 'sla_status'])
        for chunk in tools.split_every(REPLAN_BATCH_SIZE, sorted(ticket_ids)):
            self.env.execute_query(SQL(
                """UPDATE helpdesk_ticket ticket
                      SET sla_deadline = summary.deadline, sla_fail_date = summary.fail_date,
                          sla_status = summary.status
                     FROM (SELECT line.ticket_id,
                                  MIN(line.deadline) FILTER (WHERE line.reached_datetime IS NULL
                                                               AND line.pause_start IS NULL) AS deadline,
                                  MIN(%(fail_date)s) AS fail_date,
                                  (%(severity)s::varchar[])[MAX(array_position(%(severity)s::varchar[],
                                                                               line.status::varchar))] AS status
                             FROM helpdesk_sla_status line
                            WHERE line.ticket_id = ANY(%(ids)s) AND %(counted)s
                         GROUP BY line.ticket_id) AS summary
                    WHERE ticket.id = summary.ticket_id
                      AND (ticket.sla_deadline, ticket.sla_fail_date, ticket.sla_status)
                          IS DISTINCT FROM (summary.deadline, summary.fail_date, summary.status)""",
                fail_date=self._sql_fail_date('line'), severity=SLA_STATE_SEVERITY, ids=list(chunk),
                counted=self._sql_counted('line')))
        Ticket.invalidate_model(['sla_deadline', 'sla_fail_date', 'sla_status'])

    def _replan_done(self):
        self.env.execute_query(SQL(
            "UPDATE helpdesk_sla_status SET replan_reason = NULL WHERE id = ANY(%s) AND replan_reason IS NOT NULL",
            self.ids))

    def _pause_intervals(self, line_ids):
        """The finished pauses of the lines ``line_ids`` from their audit trail (a pause, or a
        drop, opens one; a resume closes it): {line id: [(begin, end)]}. Lines with no pause
        event (created before the audit trail) are left out: their stored pause time stays."""
        if not line_ids:
            return {}
        intervals, opened, seen = defaultdict(list), {}, set()
        for line_id, kind, detail, date in self.env.execute_query(SQL(
                """SELECT status_id, event_type, detail, date FROM helpdesk_sla_event
                    WHERE status_id = ANY(%s) AND event_type IN ('pause', 'resume', 'drop')
                 ORDER BY status_id, date, id""", line_ids)):
            seen.add(line_id)
            if kind == 'resume' or (kind == 'drop' and detail == 'rematch'):
                if kind == 'resume' and line_id in opened:
                    intervals[line_id].append((opened.pop(line_id), date))
            elif line_id not in opened:
                opened[line_id] = date
        return {line_id: intervals.get(line_id, []) for line_id in seen}
