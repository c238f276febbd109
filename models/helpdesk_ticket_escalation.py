from odoo import models

# what the escalation engine changes and states in its own note ("Priority raised to High",
# "Reassigned to ..."): not tracked again in a second message per ticket. The stage stays
# tracked: the time spent in each stage is computed from its tracking.
ESCALATION_UNTRACKED_FIELDS = ('priority', 'user_id', 'team_id')


class HelpdeskTicket(models.Model):
    _inherit = 'helpdesk.ticket'

    def _track_prepare(self, fields_iter):
        untracked = self.env.context.get('helpdesk_sla_untracked_fields')
        if untracked:
            fields_iter = [fname for fname in fields_iter if fname not in untracked]
        return super()._track_prepare(fields_iter)
