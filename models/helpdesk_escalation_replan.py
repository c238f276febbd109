from odoo import api, fields, models


class HelpdeskEscalationReplan(models.Model):
    """A pending re-planning of the next escalation dates of a team's running SLA lines (of
    every team when ``team_id`` is empty), left by a change of the escalation rules.

    Saving a rule only inserts such a row and triggers the escalation cron: the form saves in
    constant time whatever the backlog. The cron re-plans the requested teams' lines
    (``helpdesk.sla.status._replan_pending``) *before* it selects the due lines, so no due
    escalation is missed; applying always re-plans each picked line from the current rules
    and logs (unique per rule and line), so nothing applies twice or early. The cron removes
    only the requests it re-planned: one committed meanwhile stays for its next run (which
    its trigger starts), and a run cut short leaves them all."""

    _name = 'helpdesk.escalation.replan'
    _description = "Helpdesk Escalation Re-planning"
    _log_access = False

    team_id = fields.Many2one('helpdesk.team', ondelete='cascade', help="Empty: every team.")
    date = fields.Datetime(required=True, default=fields.Datetime.now)

    @api.model
    def _request(self, teams, all_teams=False):
        """Ask for the re-planning of ``teams`` (every team with ``all_teams``) by the next
        escalation cron run, started at once."""
        if not all_teams and not teams:
            return
        self.sudo().create([{'team_id': False}] if all_teams else [{'team_id': team.id} for team in teams])
        self.env.ref('helpdesk_sla.ir_cron_helpdesk_escalation').sudo()._trigger()
