from odoo import api, fields, models


class HelpdeskStage(models.Model):
    """A step of a team's ticket pipeline; a folded stage closes the ticket."""

    _name = 'helpdesk.stage'
    _description = "Helpdesk Stage"
    _order = 'sequence, id'

    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(
        string="Closing Stage",
        help="Tickets in a folded stage are closed: the stage is folded in the kanban "
             "and reaching it stamps the closing date.")
    is_waiting = fields.Boolean(
        string="Waiting on Customer",
        help="Tickets here wait on the customer: new SLA policies of the team pause their clock here.")
    team_ids = fields.Many2many(
        'helpdesk.team', 'helpdesk_stage_team_rel', 'stage_id', 'team_id', string="Teams",
        default=lambda self: self._default_team_ids())
    template_id = fields.Many2one(
        'mail.template', string="Email Template",
        domain="[('model', '=', 'helpdesk.ticket')]",
        help="Email sent to the customer when a ticket reaches this stage.")
    rating_template_id = fields.Many2one(
        'mail.template', string="Rating Request Template",
        domain="[('model', '=', 'helpdesk.ticket')]",
        help="Rating request sent to the customer when a ticket reaches this stage, "
             "for teams with Customer Ratings on.")
    ticket_count = fields.Integer(compute='_compute_ticket_count')

    def _default_team_ids(self):
        team_id = self.env.context.get('default_team_id')
        return [fields.Command.link(team_id)] if team_id else []

    @api.depends_context('company')
    def _compute_ticket_count(self):
        counts = dict(self.env['helpdesk.ticket']._read_group(
            [('stage_id', 'in', self.ids)], ['stage_id'], ['__count']))
        for stage in self:
            stage.ticket_count = counts.get(stage, 0)
