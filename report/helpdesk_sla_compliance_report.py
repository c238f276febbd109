from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.rating.models import rating_data


def _ratio(part, whole):
    return 100.0 * part / whole if whole else None


class ReportHelpdeskSlaCompliance(models.AbstractModel):
    """Values of the SLA compliance report (PDF and HTML) of each wizard (teams, period).

    The report covers the tickets *created* in the period, per team and priority:

    * met: tickets whose SLA targets were all reached on time;
    * failed: tickets with a target missed (reached late, or failed now);
    * compliance: met / (met + failed); tickets with targets still running in time, or
      without SLA, count in the tickets only;
    * average first response and resolution: working hours stored on the tickets;
    * CSAT: share of satisfied ratings (4 or 5 out of 5), with the average rating;
    * rating by SLA outcome: the average last rating of the met tickets and of the failed ones
      (the ticket analysis' ``rating`` by ``sla_success``).
    """

    _name = 'report.helpdesk_sla.report_sla_compliance'
    _description = "SLA Compliance Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        wizards = self.env['helpdesk.sla.compliance.wizard'].browse(docids)
        return {
            'doc_ids': docids,
            'doc_model': 'helpdesk.sla.compliance.wizard',
            'docs': wizards,
            'compliance': {wizard.id: self._get_compliance_data(wizard) for wizard in wizards},
        }

    @api.model
    def _get_compliance_data(self, wizard):
        """The report's figures as plain data (one query for all teams):

        ``{'date_from', 'date_to', 'teams': [{'team_id', 'name', 'rows': [row...], 'total': row}]}``
        with rows (highest priority first, only priorities with tickets) of ``priority``,
        ``priority_label``, ``tickets``, ``met``, ``failed``, ``compliance`` (%),
        ``first_response_hours``, ``resolution_hours``, ``rating_count``, ``rating_avg``,
        ``csat`` (%), ``rating_avg_met`` and ``rating_avg_failed`` (the tickets' last ratings);
        a figure with nothing to measure is None."""
        teams = wizard._get_teams()
        start, end = wizard._get_period_bounds()
        sums = {}  # (team id, priority) -> sums
        for team_id, priority, *figures in self.env.execute_query(self._compliance_query(teams, start, end)):
            sums[team_id, priority] = figures
        labels = self.env['helpdesk.ticket']._fields['priority']._description_selection(self.env)
        data = {'date_from': wizard.date_from, 'date_to': wizard.date_to, 'teams': []}
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
         rating_count, rating_total, satisfied,
         met_rated, met_rating_total, failed_rated, failed_rating_total) = figures
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
            'rating_avg_met': met_rating_total / met_rated if met_rated else None,
            'rating_avg_failed': failed_rating_total / failed_rated if failed_rated else None,
        }

    @api.model
    def _compliance_query(self, teams, start, end):
        """Sums per (team, priority) of the tickets created in [start, end): tickets, met,
        failed, responded, response hours, closed, closing hours, ratings, rating total,
        satisfied ratings, then the rated met tickets and their last ratings' total, the same
        for the failed ones. SLA outcomes are decided as of now, like the SLA engine."""
        Ticket, Status, Rating = self.env['helpdesk.ticket'], self.env['helpdesk.sla.status'], self.env['rating.rating']
        Ticket.flush_model([
            'team_id', 'priority', 'create_date', 'active', 'date_first_response', 'first_response_hours',
            'close_date', 'close_hours', 'is_closed', 'rating_last_value'])
        Status.flush_model(['ticket_id', *Status.STATE_COLUMNS])
        Rating.flush_model(['res_model', 'res_id', 'consumed', 'rating'])
        return SQL(
            """
            WITH tickets AS (
                SELECT t.id, t.team_id, t.priority, t.date_first_response, t.first_response_hours,
                       t.is_closed AND t.close_date IS NOT NULL AS closed, t.close_hours,
                       NULLIF(t.rating_last_value, 0) AS last_rating
                  FROM helpdesk_ticket t
                 WHERE t.active AND t.team_id = ANY(%(teams)s)
                   AND t.create_date >= %(start)s AND t.create_date < %(end)s
            ), outcomes AS (
                SELECT s.ticket_id,
                       BOOL_AND(%(on_time)s) AS met,
                       BOOL_OR(%(missed)s) AS failed
                  FROM helpdesk_sla_status s
                  JOIN tickets ON tickets.id = s.ticket_id
                 WHERE %(counted)s
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
                   COALESCE(SUM(ratings.satisfied), 0)::integer,
                   COUNT(tickets.last_rating) FILTER (WHERE outcomes.met),
                   COALESCE(SUM(tickets.last_rating) FILTER (WHERE outcomes.met), 0)::float,
                   COUNT(tickets.last_rating) FILTER (WHERE outcomes.failed),
                   COALESCE(SUM(tickets.last_rating) FILTER (WHERE outcomes.failed), 0)::float
              FROM tickets
              LEFT JOIN outcomes ON outcomes.ticket_id = tickets.id
              LEFT JOIN ratings ON ratings.ticket_id = tickets.id
             GROUP BY tickets.team_id, tickets.priority
            """,
            on_time=Status._sql_reached_on_time('s'), missed=Status._sql_missed('s', fields.Datetime.now()),
            counted=Status._sql_counted('s'), teams=teams.ids, start=start, end=end,
            satisfied=rating_data.RATING_LIMIT_SATISFIED, rating_min=rating_data.RATING_LIMIT_MIN)
