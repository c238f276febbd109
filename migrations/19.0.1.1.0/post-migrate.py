"""19.0.1.1.0: the escalation engine moved onto the SLA lines (``helpdesk.sla.status``).

The escalation cron is ``noupdate`` data: point the existing record at its new model,
so databases installed before keep escalating."""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref('helpdesk_sla.ir_cron_helpdesk_escalation', raise_if_not_found=False)
    if cron:
        cron.write({
            'model_id': env['ir.model']._get_id('helpdesk.sla.status'),
            'code': 'model._cron_escalate()',
        })
