from odoo import api, fields, models


class ResourceCalendarLeaves(models.Model):
    """An agent back from time off gets the tickets waiting in their teams' queues at once: the
    queue cron is triggered at the end of each leave of a user's resource."""

    _inherit = 'resource.calendar.leaves'

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._trigger_assignment_queue()
        return leaves

    def write(self, vals):
        result = super().write(vals)
        if {'date_to', 'resource_id'}.intersection(vals):
            self._trigger_assignment_queue()
        return result

    def _trigger_assignment_queue(self):
        now = fields.Datetime.now()
        ends = {leave.date_to for leave in self.sudo() if leave.resource_id.user_id and leave.date_to > now}
        if ends and self.env['helpdesk.team'].sudo().search_count([('agent_capacity', '>', 0)], limit=1):
            self.env.ref('helpdesk_sla.ir_cron_helpdesk_assignment_queue').sudo()._trigger(sorted(ends))
