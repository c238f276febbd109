from odoo import fields, models

# a change of these may free room under an agent capacity: the team's waiting queue is served
CAPACITY_FIELDS = {'stage_id', 'user_id', 'team_id', 'active'}


class HelpdeskTicket(models.Model):
    """Agent capacity: tickets waiting for an agent get one as soon as room frees."""

    _inherit = 'helpdesk.ticket'

    def write(self, vals):
        if not CAPACITY_FIELDS.intersection(vals) or self.env.context.get('helpdesk_sla_assigning'):
            return super().write(vals)
        teams = self.team_id
        result = super().write(vals)
        teams = (teams | self.team_id).filtered(lambda team: team.agent_capacity > 0)
        if teams:
            self.env['helpdesk.assignment.rule'].sudo()._assign_queue(teams, fields.Datetime.now())
        return result
