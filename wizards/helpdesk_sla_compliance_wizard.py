from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.rating.models import rating_data


def _default_period(wizard):
    """The last full month when tickets were created in it; else the current month to date
    when it has tickets; else the month of the latest ticket: a first report shows data."""
    today = fields.Date.context_today(wizard)
    last_month = (today + relativedelta(months=-1, day=1), today + relativedelta(day=1, days=-1))
    Ticket = wizard.env['helpdesk.ticket']

    def has_tickets(date_from, date_to):
        start, end = wizard._get_period_bounds_of(date_from, date_to)
        return bool(Ticket.search_count([('create_date', '>=', start), ('create_date', '<', end)], limit=1))

    if has_tickets(*last_month):
        return last_month
    this_month = (today + relativedelta(day=1), today)
    if has_tickets(*this_month):
        return this_month
    latest = Ticket.search([], order='create_date desc', limit=1)
    if latest:
        day = fields.Date.context_today(wizard, latest.create_date)
        return day + relativedelta(day=1), day + relativedelta(day=1, months=1, days=-1)
    return last_month


def _default_date_from(wizard):
    return _default_period(wizard)[0]


def _default_date_to(wizard):
    return _default_period(wizard)[1]


def _ratio(part, whole):
    return 100.0 * part / whole if whole else None


class HelpdeskSlaComplianceWizard(models.TransientModel):
    """Pick teams and a period, then print (PDF) or preview (HTML) the SLA compliance report.

    The report covers the tickets *created* in the period, per team and priority:

    * met: tickets whose SLA targets were all reached on time;
    * failed: tickets with a target reached late, or not reached and past its deadline now;
    * compliance: met / (met + failed); tickets with targets still running in time, or
      without SLA, count in the tickets only;
    * average first response and resolution: working hours stored on the tickets;
    * CSAT: share of satisfied ratings (4 or 5 out of 5), with the average rating.
    """

    _name = 'helpdesk.sla.compliance.wizard'
    _description = "SLA Compliance Report"

    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company,
                                 help="The company whose header the report carries.")
    team_ids = fields.Many2many('helpdesk.team', string="Teams", help="All teams when empty.")
    date_from = fields.Date(string="From", required=True, default=_default_date_from)
    date_to = fields.Date(string="To", required=True, default=_default_date_to)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains('date_from', 'date_to')
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(self.env._("The period must start before it ends."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_print(self):
        self.ensure_one()
        return self.env.ref('helpdesk_sla.action_report_sla_compliance').report_action(self)

    def action_preview(self):
        self.ensure_one()
        return self.env.ref('helpdesk_sla.action_report_sla_compliance_html').report_action(self)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_teams(self):
        self.ensure_one()
        return self.team_ids or self.env['helpdesk.team'].search([])

    def _get_period_bounds(self):
        """The period as naive UTC datetimes [start, end), its days taken in the user's time zone."""
        self.ensure_one()
        return self._get_period_bounds_of(self.date_from, self.date_to)

    @api.model
    def _get_period_bounds_of(self, date_from, date_to):
        tz = pytz.timezone(self.env.context.get('tz') or self.env.user.tz or 'UTC')

        def to_utc(day):
            return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

        return to_utc(date_from), to_utc(date_to + timedelta(days=1))

    def _get_compliance_data(self):
        """The report's figures as plain data (one query for all teams):

        ``{'date_from', 'date_to', 'teams': [{'team_id', 'name', 'rows': [row...], 'total': row}]}``
        with rows (highest priority first, only priorities with tickets) of ``priority``,
        ``priority_label``, ``tickets``, ``met``, ``failed``, ``compliance`` (%),
        ``first_response_hours``, ``resolution_hours``, ``rating_count``, ``rating_avg`` and
        ``csat`` (%); a figure with nothing to measure is None."""
        self.ensure_one()
        teams = self._get_teams()
        start, end = self._get_period_bounds()
        sums = {}  # (team id, priority) -> sums
        for team_id, priority, *figures in self.env.execute_query(self._compliance_query(teams, start, end)):
            sums[team_id, priority] = figures
        labels = self.env['helpdesk.ticket']._fields['priority']._description_selection(self.env)
        data = {'date_from': self.date_from, 'date_to': self.date_to, 'teams': []}
        for team in teams:
            rows = [
                self._compliance_row(sums[team.id, priority], priority, label)
                for priority, label in reversed(labels) if (team.id, priority) in sums
            ]
            team_sums = [sum(column) for column in zip(
                *(sums[team.id, row['priority']] for row in rows), strict=True)]
            data['teams'].append({
                'team_id': team.id,
                'name': team.display_name,
                'rows': rows,
                'total': self._compliance_row(team_sums, False, self.env._("All priorities")) if rows else None,
            })
        return data

    @api.model
    def _compliance_row(self, figures, priority, label):
        (tickets, met, failed, responded, response_hours, closed, close_hours,
         rating_count, rating_total, satisfied) = figures
        return {
            'priority': priority,
            'priority_label': label,
            'tickets': tickets,
            'met': met,
            'failed': failed,
            'compliance': _ratio(met, met + failed),
            'first_response_hours': response_hours / responded if responded else None,
            'resolution_hours': close_hours / closed if closed else None,
            'rating_count': rating_count,
            'rating_avg': rating_total / rating_count if rating_count else None,
            'csat': _ratio(satisfied, rating_count),
        }

    @api.model
    def _compliance_query(self, teams, start, end):
        """Sums per (team, priority) of the tickets created in [start, end): tickets, met,
        failed, responded, response hours, closed, closing hours, ratings, rating total,
        satisfied ratings. SLA outcomes are decided as of now, like the SLA engine."""
        Ticket, Status, Rating = self.env['helpdesk.ticket'], self.env['helpdesk.sla.status'], self.env['rating.rating']
        Ticket.flush_model([
            'team_id', 'priority', 'create_date', 'active', 'date_first_response', 'first_response_hours',
            'close_date', 'close_hours', 'is_closed'])
        Status.flush_model(['ticket_id', 'deadline', 'reached_datetime', 'pause_start', 'exceeded_hours'])
        Rating.flush_model(['res_model', 'res_id', 'consumed', 'rating'])
        return SQL(
            """
            WITH tickets AS (
                SELECT t.id, t.team_id, t.priority, t.date_first_response, t.first_response_hours,
                       t.is_closed AND t.close_date IS NOT NULL AS closed, t.close_hours
                  FROM helpdesk_ticket t
                 WHERE t.active AND t.team_id = ANY(%(teams)s)
                   AND t.create_date >= %(start)s AND t.create_date < %(end)s
            ), outcomes AS (
                SELECT s.ticket_id,
                       BOOL_AND(s.reached_datetime IS NOT NULL AND s.exceeded_hours = 0) AS met,
                       BOOL_OR(s.exceeded_hours > 0 AND s.reached_datetime IS NOT NULL
                               OR s.reached_datetime IS NULL AND s.deadline < COALESCE(s.pause_start, %(now)s))
                           AS failed
                  FROM helpdesk_sla_status s
                  JOIN tickets ON tickets.id = s.ticket_id
                 GROUP BY s.ticket_id
            ), ratings AS (
                SELECT r.res_id AS ticket_id, COUNT(*) AS rating_count, SUM(r.rating) AS rating_total,
                       COUNT(*) FILTER (WHERE r.rating >= %(satisfied)s) AS satisfied
                  FROM rating_rating r
                  JOIN tickets ON tickets.id = r.res_id
                 WHERE r.res_model = 'helpdesk.ticket' AND r.consumed AND r.rating >= %(rating_min)s
                 GROUP BY r.res_id
            )
            SELECT tickets.team_id, tickets.priority,
                   COUNT(*),
                   COUNT(*) FILTER (WHERE outcomes.met),
                   COUNT(*) FILTER (WHERE outcomes.failed),
                   COUNT(*) FILTER (WHERE tickets.date_first_response IS NOT NULL),
                   COALESCE(SUM(tickets.first_response_hours)
                            FILTER (WHERE tickets.date_first_response IS NOT NULL), 0),
                   COUNT(*) FILTER (WHERE tickets.closed),
                   COALESCE(SUM(tickets.close_hours) FILTER (WHERE tickets.closed), 0),
                   COALESCE(SUM(ratings.rating_count), 0)::integer,
                   COALESCE(SUM(ratings.rating_total), 0)::float,
                   COALESCE(SUM(ratings.satisfied), 0)::integer
              FROM tickets
              LEFT JOIN outcomes ON outcomes.ticket_id = tickets.id
              LEFT JOIN ratings ON ratings.ticket_id = tickets.id
             GROUP BY tickets.team_id, tickets.priority
            """,
            teams=teams.ids, start=start, end=end, now=fields.Datetime.now(),
            satisfied=rating_data.RATING_LIMIT_SATISFIED, rating_min=rating_data.RATING_LIMIT_MIN)
