from odoo import fields, models
from odoo.tools import SQL

from ..core.constants import TICKET_CHANNELS, TICKET_PRIORITIES


class HelpdeskTicketReportAnalysis(models.Model):
    """One row per active ticket: volumes and the times the ticket stored when its events
    happened (working hours of its team's calendar), so the view only reads columns.

    A time is empty (not 0) while its event has not happened, so averages only cover
    the tickets it happened to. The open age runs up to the current time, a query
    parameter like in the SLA analysis.
    """

    _name = 'helpdesk.ticket.report.analysis'
    _description = "Ticket Analysis"
    _auto = False
    _order = 'create_date desc, id desc'
    _rec_name = 'ticket_id'
    _depends = {
        'helpdesk.ticket': [
            'ticket_ref', 'name', 'team_id', 'channel', 'stage_id', 'priority', 'ticket_type_id', 'user_id',
            'partner_id', 'company_id', 'create_date', 'assign_date', 'date_first_response', 'close_date',
            'is_closed', 'assign_hours', 'first_response_hours', 'close_hours', 'is_first_contact_resolution',
            'rating_last_value', 'sla_status', 'sla_success', 'reopen_count', 'active',
        ],
    }

    ticket_id = fields.Many2one('helpdesk.ticket', string="Ticket", readonly=True)
    ticket_ref = fields.Char(string="Reference", readonly=True)
    name = fields.Char(string="Subject", readonly=True)
    team_id = fields.Many2one('helpdesk.team', string="Team", readonly=True)
    channel = fields.Selection(TICKET_CHANNELS, readonly=True)
    stage_id = fields.Many2one('helpdesk.stage', string="Stage", readonly=True)
    priority = fields.Selection(TICKET_PRIORITIES, readonly=True)
    ticket_type_id = fields.Many2one('helpdesk.ticket.type', string="Type", readonly=True)
    user_id = fields.Many2one('res.users', string="Assigned to", readonly=True)
    partner_id = fields.Many2one('res.partner', string="Customer", readonly=True)
    company_id = fields.Many2one('res.company', string="Company", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    assign_date = fields.Datetime(string="First Assigned On", readonly=True)
    date_first_response = fields.Datetime(string="First Response On", readonly=True)
    close_date = fields.Datetime(string="Closed On", readonly=True)
    is_closed = fields.Boolean(string="Closed", readonly=True)
    sla_status = fields.Selection([
        ('ongoing', "Ongoing"),
        ('warning', "At Risk"),
        ('failed', "Failed"),
        ('reached', "Reached"),
    ], string="SLA Status", readonly=True)
    sla_success = fields.Boolean(
        string="SLA Met", readonly=True,
        help="Every SLA target of the ticket was reached on time. Set \"With SLA\" to leave out the "
             "tickets without SLA lines: \"average rating when the SLA was met vs failed, per team\" is "
             "then a pivot of the rating by team and SLA Met.")
    is_first_contact_resolution = fields.Boolean(string="First Contact Resolution", readonly=True)
    assign_hours = fields.Float(
        string="Time to Assign (h)", readonly=True, aggregator='avg',
        help="Working hours from the creation to the first assignment.")
    first_response_hours = fields.Float(
        string="Time to First Response (h)", readonly=True, aggregator='avg',
        help="Working hours from the creation to the first agent reply.")
    close_hours = fields.Float(
        string="Resolution Time (h)", readonly=True, aggregator='avg',
        help="Working hours from the creation to the closing, for closed tickets.")
    open_age_days = fields.Float(
        string="Open Ticket Age (days)", readonly=True, aggregator='avg',
        help="Days since the creation, for open tickets.")
    first_contact_resolution_rate = fields.Float(
        string="First Contact Resolution (%)", readonly=True, aggregator='avg',
        help="Share of the closed tickets solved with no customer message after the first agent reply.")
    rating = fields.Float(
        string="Rating", readonly=True, aggregator='avg', help="The ticket's last customer rating (1 to 5).")
    reopen_count = fields.Integer(string="# Reopened", readonly=True, aggregator='sum')

    @property
    def _table_query(self):
        return SQL("%s %s %s", self._select(), self._from(), self._where())

    def _select(self):
        return SQL(
            """
            SELECT t.id AS id,
                   t.id AS ticket_id,
                   t.ticket_ref AS ticket_ref,
                   t.name AS name,
                   t.team_id AS team_id,
                   t.channel AS channel,
                   t.stage_id AS stage_id,
                   t.priority AS priority,
                   t.ticket_type_id AS ticket_type_id,
                   t.user_id AS user_id,
                   t.partner_id AS partner_id,
                   t.company_id AS company_id,
                   t.create_date AS create_date,
                   t.assign_date AS assign_date,
                   t.date_first_response AS date_first_response,
                   t.close_date AS close_date,
                   COALESCE(t.is_closed, FALSE) AS is_closed,
                   t.sla_status AS sla_status,
                   COALESCE(t.sla_success, FALSE) AS sla_success,
                   COALESCE(t.is_first_contact_resolution, FALSE) AS is_first_contact_resolution,
                   CASE WHEN t.assign_date IS NOT NULL THEN t.assign_hours END AS assign_hours,
                   CASE WHEN t.date_first_response IS NOT NULL THEN t.first_response_hours END
                       AS first_response_hours,
                   CASE WHEN t.is_closed AND t.close_date IS NOT NULL THEN t.close_hours END AS close_hours,
                   CASE WHEN t.is_closed IS NOT TRUE
                        THEN EXTRACT(EPOCH FROM %(now)s - t.create_date) / 86400.0 END AS open_age_days,
                   CASE WHEN t.is_closed THEN
                        CASE WHEN t.is_first_contact_resolution THEN 100.0 ELSE 0.0 END
                   END AS first_contact_resolution_rate,
                   NULLIF(t.rating_last_value, 0) AS rating,
                   t.reopen_count AS reopen_count
            """,
            now=fields.Datetime.now())

    def _from(self):
        return SQL("FROM helpdesk_ticket t")

    def _where(self):
        return SQL("WHERE t.active")
