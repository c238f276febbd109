from odoo import api, fields, models
from odoo.tools import SQL, format_datetime

EVENT_TYPES = [
    ('start', "Started"),
    ('pause', "Paused"),
    ('resume', "Resumed"),
    ('reach', "Reached"),
    ('breach', "Breached"),
    ('replan', "Re-planned"),
    ('exempt', "Exemption"),
    ('drop', "Dropped"),
]


class HelpdeskSlaEvent(models.Model):
    """The audit trail of an SLA line: one row per change of its clock (start, pause, resume,
    reach, breach, re-planning, exemption, drop / revival on re-match), with the line's
    deadline after the change. Written set-based by the SLA engine (``_log``: one INSERT per
    batch of lines), never edited by hand."""

    _name = 'helpdesk.sla.event'
    _description = "SLA Line Event"
    _order = 'date desc, id desc'
    _rec_name = 'event_type'
    _log_access = False  # immutable rows: ``date`` and ``user_id`` say when and who, and bulk inserts stay light

    status_id = fields.Many2one(
        'helpdesk.sla.status', string="SLA Line", required=True, index=True, ondelete='cascade', readonly=True)
    ticket_id = fields.Many2one('helpdesk.ticket', required=True, index=True, ondelete='cascade', readonly=True)
    sla_id = fields.Many2one(related='status_id.sla_id', string="SLA Policy", store=True)
    team_id = fields.Many2one(related='status_id.team_id', store=True)
    company_id = fields.Many2one(related='status_id.company_id')
    target_type = fields.Selection(related='status_id.target_type')
    event_type = fields.Selection(EVENT_TYPES, string="Event", required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, help="When it happened on the SLA clock.")
    deadline = fields.Datetime(readonly=True, help="The line's deadline after the event.")
    previous_deadline = fields.Datetime(readonly=True, help="The line's deadline before the event.")
    pause_start = fields.Datetime(string="Paused Since", readonly=True, help="Resumed lines: when the pause began.")
    stage_id = fields.Many2one('helpdesk.stage', string="Stage", readonly=True, ondelete='set null',
                               help="The ticket's stage at the event (pauses: the stage it waits in).")
    user_id = fields.Many2one('res.users', string="By", readonly=True, ondelete='set null')
    note = fields.Char(readonly=True)
    detail = fields.Selection([
        ('rematch', "Policy matches again"),
        ('undo', "Exemption removed"),
        ('policy', "Policy changed"),
        ('calendar', "Working hours changed"),
    ], readonly=True, help="What kind of change within the event type.")
    description = fields.Char(compute='_compute_description', help="The event in one readable sentence.")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends('event_type', 'date', 'deadline', 'previous_deadline', 'pause_start', 'stage_id', 'note', 'detail')
    @api.depends_context('tz')
    def _compute_description(self):
        def when(value):
            return format_datetime(self.env, value, tz=self.env.context.get('tz'), dt_format='EEE d MMM HH:mm') \
                if value else ""

        _ = self.env._
        for event in self:
            deadline = when(event.deadline)
            moved = event.previous_deadline and event.deadline and event.previous_deadline != event.deadline
            kind = event.event_type
            if kind == 'start':
                text = _("Clock started, due %s", deadline)
            elif kind == 'pause':
                text = _("Paused in %s", event.stage_id.name) if event.stage_id else _("Paused")
            elif kind == 'resume':
                text = _("Paused %(start)s–%(end)s in %(stage)s, deadline moved to %(deadline)s",
                         start=when(event.pause_start), end=when(event.date),
                         stage=event.stage_id.name or _("an excluded stage"), deadline=deadline)
            elif kind == 'reach':
                text = _("Target reached") if not event.deadline or event.date <= event.deadline \
                    else _("Target reached late (due %s)", deadline)
            elif kind == 'breach':
                text = _("Deadline passed without the target reached")
            elif kind == 'replan':
                cause = _("working hours changed") if event.detail == 'calendar' else _("policy changed")
                text = _("Re-planned (%(cause)s): deadline moved from %(old)s to %(new)s",
                         cause=cause, old=when(event.previous_deadline), new=deadline) if moved \
                    else _("Re-planned (%(cause)s), deadline unchanged (%(new)s)", cause=cause, new=deadline)
            elif kind == 'drop':
                text = _("Policy matches again: the line continues, due %s", deadline) \
                    if event.detail == 'rematch' else _("Policy no longer matches: line dropped, clock held")
            else:
                text = _("Exemption removed by %s", event.user_id.name) if event.detail == 'undo' \
                    else _("Exempted by %s", event.user_id.name)
            event.description = f"{text}: {event.note}" if event.note else text

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _log(self, rows):
        """Insert events in one statement. ``rows``: dicts with ``status_id``, ``ticket_id``,
        ``event_type``, ``date`` and optionally ``deadline``, ``previous_deadline``,
        ``pause_start``, ``stage_id``, ``user_id``, ``note``, ``detail``. The stored related
        policy and team are filled from the lines in the same statement."""
        if not rows:
            return
        self.env['helpdesk.sla.status'].flush_model(['sla_id', 'team_id'])

        def column(name):
            return [row.get(name) or None for row in rows]

        self.env.execute_query(SQL(
            """INSERT INTO helpdesk_sla_event (status_id, ticket_id, event_type, date, deadline, previous_deadline,
                                               pause_start, stage_id, user_id, note, detail, sla_id, team_id)
               SELECT new.status_id, new.ticket_id, new.event_type, new.date, new.deadline, new.previous_deadline,
                      new.pause_start, new.stage_id, new.user_id, new.note, new.detail, line.sla_id, line.team_id
                 FROM unnest(%(status)s::int[], %(ticket)s::int[], %(kind)s::varchar[], %(date)s::timestamp[],
                             %(deadline)s::timestamp[], %(previous)s::timestamp[], %(pause)s::timestamp[],
                             %(stage)s::int[], %(user)s::int[], %(note)s::varchar[], %(detail)s::varchar[])
                      AS new(status_id, ticket_id, event_type, date, deadline, previous_deadline, pause_start,
                             stage_id, user_id, note, detail)
                 JOIN helpdesk_sla_status line ON line.id = new.status_id""",
            status=column('status_id'), ticket=column('ticket_id'), kind=column('event_type'),
            date=column('date'), deadline=column('deadline'), previous=column('previous_deadline'),
            pause=column('pause_start'), stage=column('stage_id'), user=column('user_id'), note=column('note'),
            detail=column('detail')))
        self.invalidate_model()
        self.env['helpdesk.sla.status'].invalidate_model(['event_ids'])
        self.env['helpdesk.ticket'].invalidate_model(['sla_event_ids'])
