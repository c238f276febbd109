from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_datetime

from ..core.constants import SLA_STATE_SEVERITY, SLA_STATES
from .helpdesk_sla_status import SlaClock

# cursor cache key: while set (to a set of ticket ids), _sla_apply only collects the tickets to
# re-match; the escalation engine re-matches them once, after all the rules of a batch applied
REMATCH_LATER_KEY = 'helpdesk_sla.rematch_later'


class HelpdeskTicket(models.Model):
    """The ticket's SLA: its lines (one per matching policy), their summary on the ticket,
    and the hooks that move the SLA lines when the ticket changes."""

    _inherit = 'helpdesk.ticket'

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    use_sla = fields.Boolean(related='team_id.use_sla')
    sla_status_ids = fields.One2many('helpdesk.sla.status', 'ticket_id', string="SLA Lines", copy=False)
    sla_event_ids = fields.One2many('helpdesk.sla.event', 'ticket_id', string="SLA Timeline", copy=False)
    sla_deadline = fields.Datetime(
        string="SLA Deadline", compute='_compute_sla_fields', store=True, index=True,
        help="The earliest deadline among the ticket's running SLA lines (paused lines excluded).")
    sla_status = fields.Selection(SLA_STATES, string="SLA Status Summary", compute='_compute_sla_fields', store=True, index=True,
        help="The most severe status of the ticket's SLA lines.")
    sla_reached_late = fields.Boolean(
        string="SLA Reached Late", compute='_compute_sla_fields', store=True,
        help="At least one SLA target was reached after its deadline.")
    sla_success = fields.Boolean(
        string="SLA Success", compute='_compute_sla_fields', store=True,
        help="Every SLA target of the ticket was reached on time.")
    sla_fail_date = fields.Datetime(
        string="SLA Fails On", compute='_compute_sla_fields', store=True, index=True,
        help="From when the ticket counts as failing its SLA: the earliest deadline of its running lines "
             "and of the paused ones that had failed before their pause. A line paused in time does "
             "not fail while paused.")
    sla_fail = fields.Boolean(
        string="SLA Failed", compute='_compute_sla_fail', search='_search_sla_fail',
        help="A deadline has passed and its target is not reached.")
    sla_at_risk = fields.Boolean(
        string="SLA At Risk", compute='_compute_sla_live', search='_search_sla_at_risk')
    sla_paused = fields.Boolean(
        string="SLA Paused", compute='_compute_sla_live', search='_search_sla_paused',
        help="Every running SLA line is paused; while one still runs, its deadline is the ticket's SLA deadline.")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends('sla_status_ids.deadline', 'sla_status_ids.reached_datetime',
                 'sla_status_ids.pause_start', 'sla_status_ids.status', 'sla_status_ids.exceeded_hours',
                 'sla_status_ids.is_exempt', 'sla_status_ids.active')
    def _compute_sla_fields(self):
        """The ticket's SLA summary from its lines, each state as ``helpdesk.sla.status`` defines it."""
        Status = self.env['helpdesk.sla.status']
        for ticket in self:
            lines = ticket.sla_status_ids
            running = lines.filtered(lambda line: not line.reached_datetime)
            fail_dates = [date for date in map(Status._fail_date_of, lines) if date]
            ticket.sla_deadline = min((line.deadline for line in running if not line._is_paused()), default=False)
            ticket.sla_fail_date = min(fail_dates, default=False)
            ticket.sla_status = max(lines.mapped('status'), key=SLA_STATE_SEVERITY.index, default=False)
            ticket.sla_reached_late = any(line._is_reached_late() for line in lines)
            ticket.sla_success = bool(lines) and not running and not ticket.sla_reached_late

    @api.depends('sla_status_ids.deadline', 'sla_status_ids.reached_datetime',
                 'sla_status_ids.pause_start', 'sla_status_ids.warning_date', 'sla_status_ids.is_exempt',
                 'sla_status_ids.active')
    def _compute_sla_live(self):
        now = fields.Datetime.now()
        for ticket in self:
            running = ticket.sla_status_ids.filtered(lambda line: not line.reached_datetime)
            ticket.sla_paused = bool(running) and all(line._is_paused() for line in running)
            ticket.sla_at_risk = any(
                not line._is_paused() and line._state_of(line, now) == 'warning' for line in running)

    @api.depends('sla_fail_date')
    def _compute_sla_fail(self):
        now = fields.Datetime.now()
        for ticket in self:
            ticket.sla_fail = bool(ticket.sla_fail_date) and ticket.sla_fail_date < now

    def _search_sla_fail(self, operator, value):
        """Compares the stored, indexed ``sla_fail_date`` (the earliest fail date of the
        ticket's lines) with the current time."""
        if operator not in ('in', 'not in'):
            return NotImplemented
        now = fields.Datetime.now()
        if (operator == 'in') == (True in value):
            return Domain('sla_fail_date', '<', now)
        return Domain('sla_fail_date', '=', False) | Domain('sla_fail_date', '>=', now)

    def _search_sla_at_risk(self, operator, value):
        """A running line at risk and not paused."""
        Status = self.env['helpdesk.sla.status']
        at_risk = Domain('sla_status_ids', 'any', Status._lines_where(
            lambda alias, now: SQL("(%s AND NOT %s)", Status._sql_at_risk(alias, now), Status._sql_paused(alias))))
        return self._search_flag(operator, value, at_risk)

    def _search_sla_paused(self, operator, value):
        """Every running line paused (and at least one)."""
        Status = self.env['helpdesk.sla.status']
        some_paused = Domain('sla_status_ids', 'any', Status._lines_where(Status._sql_paused))
        some_running = Domain('sla_status_ids', 'any', Status._lines_where(
            lambda alias, now: SQL("(%s.reached_datetime IS NULL AND NOT %s)",
                                   SQL.identifier(alias), Status._sql_paused(alias))))
        return self._search_flag(operator, value, some_paused & ~some_running)

    @api.model
    def _search_flag(self, operator, value, domain):
        """A boolean field's search: ``domain`` for True, its negation for False."""
        if operator not in ('in', 'not in'):
            return NotImplemented
        return domain if (operator == 'in') == (True in value) else ~domain

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        assigning = self.filtered(lambda ticket: not ticket.user_id) if vals.get('user_id') else self.browse()
        result = super().write(vals)
        if assigning:
            assigning._sla_on_assignment(fields.Datetime.now())
        return result

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
        """(Re)match SLA policies: new matches get an SLA line counted from the ticket's creation;
        the open lines of policies that no longer match are dropped (kept, out of every figure,
        their clock held) and continue if their policy matches again; reached lines stay as
        history. ``new``: the tickets were just created and have no SLA line yet."""
        later = self.env.cr.cache.get(REMATCH_LATER_KEY)
        if later is not None and not new:  # an escalation is applying rules: once, after all of them
            later.update(self.ids)
            return
        tickets = self.sudo() if new else self.sudo().exists()
        if not tickets:
            return
        now = fields.Datetime.now()
        matches = tickets._sla_matching_policies()
        have = set()
        if not new:
            wanted = {(ticket.id, sla.id) for sla, matched in matches.items() for ticket in matched}
            existing = tickets.with_context(active_test=False).sla_status_ids
            open_lines = existing.filtered(lambda line: not line.reached_datetime)
            stale = open_lines.filtered(
                lambda line: line.active and (line.ticket_id.id, line.sla_id.id) not in wanted)
            stale._drop(now)
            open_lines.filtered(
                lambda line: not line.active and line not in stale
                and (line.ticket_id.id, line.sla_id.id) in wanted)._revive(now)
            kept = existing.filtered('active')
            for company, lines in kept.filtered(lambda line: line.company_id != line.ticket_id.company_id
                                                ).grouped(lambda line: line.ticket_id.company_id).items():
                lines.company_id = company
            have = {(line.ticket_id.id, line.sla_id.id) for line in existing}
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
            elif sla.target_type == 'assignment' and ticket.user_id:
                reach_at.append(max(ticket.assign_date or start, start))
            else:
                reach_at.append(None)
        lines = Status._create_lines(vals_list)
        for line, when in zip(lines, reach_at, strict=True):
            if when:
                line._reach(when)

    def _sla_on_stage_change(self, when):
        """Stage moved: reach the targets at or before the new stage (closing the ticket ends
        every SLA line), pause the lines of policies excluding it, restart the others."""
        lines = self.sudo().sla_status_ids.filtered(lambda line: not line.reached_datetime)
        reached = lines.filtered(lambda line: line._is_target_stage_reached())
        running = lines - reached
        paused = running.filtered(lambda line: line.ticket_id.stage_id in line.sla_id.exclude_stage_ids)
        paused._pause(when)
        (running - paused)._resume(when)
        reached._reach(when)

    def _sla_on_agent_reply(self, when):
        """A public agent reply reaches first-response targets, open next-response windows and
        the running periodic-update windows; on open tickets it opens the next periodic-update
        window."""
        first_replies = self.sudo().filtered(lambda ticket: not ticket.date_first_response)
        first_replies.date_first_response = when
        first_replies._reporting_stamp(('date_first_response',))
        self.sudo().sla_status_ids.filtered(
            lambda line: not line.reached_datetime
            and line.target_type in ('first_response', 'next_response', 'periodic_update')
        )._reach(when)
        self._sla_open_windows('periodic_update', when)

    def _sla_on_customer_message(self, when):
        """A customer message after an agent reply opens a next-response window (one at a time)."""
        self.sudo().filtered('date_first_response')._sla_open_windows('next_response', when)

    def _sla_on_assignment(self, when):
        """The ticket got an agent: reach its assignment targets (the first assignment counts)."""
        self.sudo().sla_status_ids.filtered(
            lambda line: not line.reached_datetime and line.target_type == 'assignment')._reach(when)

    def _sla_open_windows(self, target_type, when):
        """Open a window of each matching policy of ``target_type`` (next response, periodic
        update) that has none running, starting at ``when``, on the open tickets."""
        tickets = self.sudo().filtered(lambda ticket: not ticket.is_closed)
        if not tickets:
            return
        open_pairs = {(line.ticket_id.id, line.sla_id.id)
                      for line in tickets.with_context(active_test=False).sla_status_ids
                      if not line.reached_datetime}
        todo = [(sla, ticket) for sla, matched in tickets._sla_matching_policies().items()
                if sla.target_type == target_type
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
        Status._create_lines(vals_list)

    # ------------------------------------------------------------
    # PORTAL
    # ------------------------------------------------------------

    def _sla_customer_promises(self, tz=None):
        """The SLA deadlines promised to the customer on the portal: one sentence per running
        line (not paused, not failed) of a policy shown to customers, in the time zone ``tz``
        (else the customer's). Status only: no policy name, note or internal figure."""
        self.ensure_one()
        now = fields.Datetime.now()
        tz = tz or self.partner_id.tz or self.team_id.resource_calendar_id.tz or 'UTC'
        lang = self.partner_id.lang or self.env.lang
        texts = {
            'resolution': self.env._("We aim to resolve your request by %s"),
            'assignment': self.env._("We aim to assign your request to an agent by %s"),
        }
        reply = self.env._("We aim to reply by %s")
        promises = []
        for line in self.sudo().sla_status_ids.sorted('deadline'):
            if not line.sla_id.show_to_customer or line.reached_datetime or line._is_paused() \
                    or line._state_of(line, now) == 'failed' or not line.deadline:
                continue
            when = format_datetime(self.env, line.deadline, tz=tz, dt_format='EEE d MMM, HH:mm', lang_code=lang)
            promises.append(texts.get(line.target_type, reply) % when)
        return promises
