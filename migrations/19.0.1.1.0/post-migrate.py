"""19.0.1.1.0: the shipped "Waiting on Customer" stage is marked as waiting on the customer."""


def migrate(cr, version):
    if not version:
        return
    # noupdate data: the new flag is set here, so that new policies pause in that stage
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
