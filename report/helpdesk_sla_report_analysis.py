from odoo import fields, models
from odoo.tools import SQL

from ..core.constants import SLA_STATES, TICKET_PRIORITIES


class HelpdeskSlaReportAnalysis(models.Model):
    """One row per SLA line of an active ticket, with its outcome as of now.

    ``status`` and the outcomes are the SQL builders of ``helpdesk.sla.status`` (the one
    definition of each SLA state). The current time is a query parameter (not the
    database's ``now()``), like the engine's searches, so the figures move with the
    clock the application uses.
    """

    _name = 'helpdesk.sla.report.analysis'
    _description = "SLA Status Analysis"
    _auto = False
    _order = 'deadline desc, id desc'
    _rec_name = 'ticket_id'
    _depends = {
        'helpdesk.sla.status': [
            'ticket_id', 'sla_id', 'target_type', 'team_id', 'priority', 'company_id', 'start_date', 'deadline',
            'warning_date', 'reached_datetime', 'pause_start', 'exceeded_hours', 'reached_hours',
            'breach_reason_id', 'is_exempt', 'active',
        ],
        'helpdesk.ticket': [
            'ticket_ref', 'user_id', 'partner_id', 'stage_id', 'ticket_type_id', 'create_date', 'active',
        ],
    }

    ticket_id = fields.Many2one('helpdesk.ticket', string="Ticket", readonly=True)
    ticket_ref = fields.Char(string="Reference", readonly=True)
    sla_id = fields.Many2one('helpdesk.sla', string="SLA Policy", readonly=True)
    target_type = fields.Selection(
        selection=lambda self: self.env['helpdesk.sla']._fields['target_type'].selection,
        string="Target", readonly=True)
    team_id = fields.Many2one('helpdesk.team', string="Team", readonly=True, help="The ticket's team.")
    priority = fields.Selection(TICKET_PRIORITIES, readonly=True, help="The ticket's priority.")
    user_id = fields.Many2one('res.users', string="Assigned to", readonly=True)
    partner_id = fields.Many2one('res.partner', string="Customer", readonly=True)
    stage_id = fields.Many2one('helpdesk.stage', string="Ticket Stage", readonly=True)
    ticket_type_id = fields.Many2one('helpdesk.ticket.type', string="Type", readonly=True)
    company_id = fields.Many2one('res.company', string="Company", readonly=True, help="The ticket's company.")
    ticket_create_date = fields.Datetime(string="Ticket Created On", readonly=True)
    start_date = fields.Datetime(string="Started On", readonly=True)
    deadline = fields.Datetime(readonly=True)
    reached_datetime = fields.Datetime(string="Reached On", readonly=True)
    status = fields.Selection(SLA_STATES, readonly=True)
    is_failed = fields.Boolean(
        string="Deadline Missed", readonly=True,
        help="Reached late, or not reached and past its deadline.")
    success_rate = fields.Float(
        string="Success Rate (%)", readonly=True, aggregator='avg',
        help="Share of the SLA targets with an outcome (reached, or failed) that were reached on time; "
             "targets still running within their time do not count.")
    met_count = fields.Integer(string="# Met", readonly=True, aggregator='sum')
    failed_count = fields.Integer(string="# Failed", readonly=True, aggregator='sum')
    exceeded_hours = fields.Float(
        string="Hours Over Target", readonly=True, aggregator='avg',
        help="Working hours between the deadline and the moment a target was reached (0 when on time); "
             "empty while not reached.")
    reached_hours = fields.Float(
        string="Time to Target (h)", readonly=True, aggregator='avg',
        help="Hours counted on the SLA clock, pauses excluded, until the target was reached.")

    breach_reason_id = fields.Many2one('helpdesk.sla.breach.reason', string="Breach Reason", readonly=True)
    is_exempt = fields.Boolean(
        string="Exempt", readonly=True,
        help="Exempted by a manager: never counted as failed, shown apart.")

    @property
    def _table_query(self):
        return SQL("%s %s %s", self._select(), self._from(), self._where())

    def _select(self):
        Status = self.env['helpdesk.sla.status']
        now = fields.Datetime.now()
        reached = SQL("s.reached_datetime IS NOT NULL")
        on_time = Status._sql_reached_on_time('s')
        missed = Status._sql_missed('s', now)
        return SQL(
            """
            SELECT s.id AS id,
                   s.ticket_id AS ticket_id,
                   t.ticket_ref AS ticket_ref,
                   s.sla_id AS sla_id,
                   s.target_type AS target_type,
                   s.team_id AS team_id,
                   s.priority AS priority,
                   t.user_id AS user_id,
                   t.partner_id AS partner_id,
                   t.stage_id AS stage_id,
                   t.ticket_type_id AS ticket_type_id,
                   s.company_id AS company_id,
                   t.create_date AS ticket_create_date,
                   s.start_date AS start_date,
                   s.deadline AS deadline,
                   s.reached_datetime AS reached_datetime,
                   %(state)s AS status,
                   %(missed)s AS is_failed,
                   CASE WHEN %(on_time)s THEN 100.0
                        WHEN %(missed)s THEN 0.0 END AS success_rate,
                   CASE WHEN %(on_time)s THEN 1 ELSE 0 END AS met_count,
                   CASE WHEN %(missed)s THEN 1 ELSE 0 END AS failed_count,
                   CASE WHEN %(reached)s THEN s.exceeded_hours END AS exceeded_hours,
                   CASE WHEN %(reached)s THEN s.reached_hours END AS reached_hours,
                   s.breach_reason_id AS breach_reason_id,
                   s.is_exempt IS TRUE AS is_exempt
            """,
            reached=reached, state=Status._sql_state('s', now), missed=missed, on_time=on_time)

    def _from(self):
        # a LEFT JOIN, so that queries reading no ticket column (grouped figures by team and
        # priority, stored on the line) do not join tickets at all
        return SQL("""
            FROM helpdesk_sla_status s
            LEFT JOIN helpdesk_ticket t ON t.id = s.ticket_id
        """)

    def _where(self):
        # lines of archived (merged) tickets are left out: read from a small partial index;
        # lines dropped on re-match do not count
        return SQL("""
            WHERE %s AND NOT EXISTS (SELECT 1 FROM helpdesk_ticket archived
                                      WHERE archived.id = s.ticket_id AND archived.active IS NOT TRUE)
        """, self.env['helpdesk.sla.status']._sql_counted('s'))
