from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Domain


class HelpdeskTeam(models.Model):
    """Agent capacity: automatic assignment never gives an agent more open tickets of the team
    than ``agent_capacity``; the other tickets wait, unassigned, in the team's queue."""

    _inherit = 'helpdesk.team'

    agent_capacity = fields.Integer(
        string="Agent Capacity", default=0,
        help="Most open tickets of this team automatic assignment gives one agent (0: no limit). "
             "Tickets no agent has room for wait unassigned, oldest first, and are assigned as soon "
             "as an agent has room (a ticket closed or reassigned, an agent back from time off).")
    queued_ticket_count = fields.Integer(string="Waiting for an Agent", compute='_compute_agent_load')
    agent_load = fields.Html(string="Agent Load", compute='_compute_agent_load', sanitize=False)

    _agent_capacity_positive = models.Constraint(
        'CHECK(agent_capacity >= 0)', "The agent capacity is a number of tickets (0: no limit).")

    @api.depends('agent_capacity', 'member_ids')
    def _compute_agent_load(self):
        Ticket = self.env['helpdesk.ticket'].sudo()
        teams = self.filtered('id')
        loads = {(team.id, user.id): count for team, user, count in Ticket._read_group(
            [('team_id', 'in', teams.ids), ('is_closed', '=', False), ('user_id', '!=', False)],
            ['team_id', 'user_id'], ['__count'])}
        queued = dict(Ticket._read_group(teams._get_queue_domain(), ['team_id'], ['__count'])) if teams else {}
        away = self.env['helpdesk.assignment.rule']._get_agents_away(teams.member_ids, fields.Datetime.now())
        for team in self:
            team.queued_ticket_count = queued.get(team._origin, 0)
            rows = []
            for user in team.member_ids.sorted('name'):
                load = loads.get((team._origin.id, user._origin.id or user.id), 0)
                figure = f"{load} / {team.agent_capacity}" if team.agent_capacity else str(load)
                note = self.env._("on time off") if user.id in away else ""
                full = team.agent_capacity and load >= team.agent_capacity
                rows.append(Markup('<tr><td>%s</td><td class="text-end %s">%s</td><td class="text-muted">%s</td></tr>')
                            % (user.name, "text-danger fw-bold" if full else "", figure, note))
            team.agent_load = Markup('<table class="table table-sm o_helpdesk_agent_load"><thead><tr>'
                                     '<th>%s</th><th class="text-end">%s</th><th/></tr></thead><tbody>%s</tbody></table>') % (
                self.env._("Agent"), self.env._("Open tickets / capacity"), Markup().join(rows)) if rows else False

    def _get_queue_domain(self):
        """The tickets of ``self`` waiting for an agent: open and unassigned, in teams with a capacity."""
        return (Domain('team_id', 'in', self.filtered(lambda team: team.agent_capacity > 0).ids)
                & Domain('user_id', '=', False) & Domain('is_closed', '=', False))

    def action_view_queue(self):
        """The team's waiting queue, in the order tickets get an agent."""
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('helpdesk_sla.helpdesk_ticket_action')
        action.update({
            'name': self.env._("Waiting for an Agent"),
            'domain': list(self._get_queue_domain()),
            'context': {'default_team_id': self.id},
            'views': [(False, 'list'), (False, 'form')],
        })
        return action
