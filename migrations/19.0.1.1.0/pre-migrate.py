"""19.0.1.1.0: SLA policies choose "Any" priority explicitly (before the column becomes required)."""


def migrate(cr, version):
    if not version:
        return
    # An empty priority used to mean "any": it is now the explicit choice 'any'.
    cr.execute("UPDATE helpdesk_sla SET priority = 'any' WHERE priority IS NULL")
