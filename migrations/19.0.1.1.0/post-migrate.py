"""19.0.1.1.0: the escalation engine moved onto the SLA lines (``helpdesk.sla.status``);
stages say where tickets wait on the customer; the first stage acknowledges new tickets.

The escalation cron is ``noupdate`` data: point the existing record at its new model,
so databases installed before keep escalating. The shipped stages are ``noupdate`` data
too: their new settings are written here."""
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
    # new policies pause in the shipped "Waiting on Customer" stage
    cr.execute("""
        UPDATE helpdesk_stage SET is_waiting = TRUE
         WHERE id IN (SELECT res_id FROM ir_model_data
                       WHERE module = 'helpdesk_sla' AND name = 'stage_waiting' AND model = 'helpdesk.stage')
    """)
    # the acknowledgement of new tickets: the shipped "New" stage sends the shipped template,
    # unless the database already chose another one
    cr.execute("""
        UPDATE helpdesk_stage SET template_id = (
                   SELECT res_id FROM ir_model_data
                    WHERE module = 'helpdesk_sla' AND name = 'mail_template_ticket_received')
         WHERE template_id IS NULL
           AND id IN (SELECT res_id FROM ir_model_data
                       WHERE module = 'helpdesk_sla' AND name = 'stage_new' AND model = 'helpdesk.stage')
    """)
