from odoo import api, fields, models

from ..models.helpdesk_sla import SLA_PRIORITY_ANY

# the rows, most urgent first; "Any" (every priority) last
MATRIX_PRIORITIES = ['3', '2', '1', '0', SLA_PRIORITY_ANY]
# the columns: target type -> field of a matrix line
MATRIX_TARGETS = {
    'first_response': 'first_response_time',
    'resolution': 'resolution_time',
    'next_response': 'next_response_time',
}
CRITERIA_FIELDS = ('ticket_type_ids', 'tag_ids', 'partner_category_ids', 'partner_ids', 'domain')


class HelpdeskSlaMatrix(models.TransientModel):
    """A team's SLA policies as a matrix: a row per priority, a column per target, the hours
    in each cell. Saving creates, updates or archives the plain policies behind the cells
    (policies with other criteria - types, tags, tiers, customers, conditions - keep their own form)."""

    _name = 'helpdesk.sla.matrix'
    _description = "Helpdesk SLA Matrix"

    team_id = fields.Many2one('helpdesk.team', string="Team", required=True, ondelete='cascade')
    line_ids = fields.One2many(
        'helpdesk.sla.matrix.line', 'matrix_id', string="Targets",
        compute='_compute_line_ids', store=True, readonly=False)
    other_sla_count = fields.Integer(
        compute='_compute_other_sla_count', string="Other Policies",
        help="Policies of the team with more criteria than a priority: edited in their own form.")

    @api.depends('team_id')
    def _compute_line_ids(self):
        for matrix in self:
            cells = matrix._get_cell_policies()
            rows = []
            for priority in MATRIX_PRIORITIES:
                values = {'priority': priority, 'time_basis': 'calendar'}
                for target, fname in MATRIX_TARGETS.items():
                    if sla := cells.get((priority, target)):
                        values.update({fname: sla.time, 'time_basis': sla.time_basis})
                rows.append(fields.Command.create(values))
            matrix.line_ids = [fields.Command.clear(), *rows]

    @api.depends('team_id')
    def _compute_other_sla_count(self):
        for matrix in self:
            matrix.other_sla_count = len(matrix.team_id.sla_ids.filtered(lambda sla: not sla._is_matrix_policy()))

    def _get_cell_policies(self):
        """The policy behind each cell, as {(priority, target type): policy}: the first policy
        of the team matching by priority only."""
        self.ensure_one()
        cells = {}
        for sla in self.team_id.sla_ids.filtered(lambda sla: sla._is_matrix_policy()):
            cells.setdefault((sla.priority, sla.target_type), sla)
        return cells

    def action_apply(self):
        """Write the matrix back: a cell with hours updates (or creates) its policy, an empty cell
        archives the policy it had."""
        self.ensure_one()
        Sla = self.env['helpdesk.sla']
        priority_names = dict(self.env['helpdesk.sla']._fields['priority']._description_selection(self.env))
        target_names = dict(self.env['helpdesk.sla']._fields['target_type']._description_selection(self.env))
        closing_stage = self.team_id.stage_ids.filtered('fold').sorted()[:1]
        cells = self._get_cell_policies()
        to_create = []
        for line in self.line_ids:
            for target, fname in MATRIX_TARGETS.items():
                hours, sla = line[fname], cells.get((line.priority, target))
                if sla and not hours:
                    sla.action_archive()
                elif sla and (sla.time != hours or sla.time_basis != line.time_basis):
                    sla.write({'time': hours, 'time_basis': line.time_basis})
                elif not sla and hours:
                    to_create.append({
                        'name': self.env._("%(priority)s: %(target)s",
                                           priority=priority_names[line.priority], target=target_names[target]),
                        'team_id': self.team_id.id,
                        'priority': line.priority,
                        'target_type': target,
                        'stage_id': closing_stage.id if target == 'resolution' else False,
                        'time': hours,
                        'time_basis': line.time_basis,
                    })
        Sla.create(to_create)
        return self.team_id.action_view_sla()


class HelpdeskSlaMatrixLine(models.TransientModel):
    _name = 'helpdesk.sla.matrix.line'
    _description = "Helpdesk SLA Matrix Row"
    _order = 'id'

    matrix_id = fields.Many2one('helpdesk.sla.matrix', required=True, ondelete='cascade')
    priority = fields.Selection([
        ('3', "Urgent"),
        ('2', "High"),
        ('1', "Medium"),
        ('0', "Low"),
        (SLA_PRIORITY_ANY, "Any"),
    ], required=True, readonly=True)
    time_basis = fields.Selection([
        ('calendar', "Working hours"),
        ('always', "24/7"),
    ], string="Counted On", required=True, default='calendar')
    first_response_time = fields.Float(string="First Response")
    resolution_time = fields.Float(string="Resolution")
    next_response_time = fields.Float(string="Next Response")
