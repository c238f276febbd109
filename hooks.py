from odoo.tools import SQL


def uninstall_hook(env):
    """Uninstalling removes the addon's records (its stages among them) before it drops its
    tables. The tickets, about to be dropped with their table, still point to stages with
    ``ondelete='restrict'``: without this, each stage removal fails and is logged as an error.
    The tickets' references to stages are released first (their table is dropped after)."""
    for (name,) in env.execute_query(SQL(
            """SELECT conname FROM pg_constraint
                WHERE contype = 'f' AND conrelid = 'helpdesk_ticket'::regclass
                  AND confrelid = 'helpdesk_stage'::regclass""")):
        env.cr.execute(SQL("ALTER TABLE helpdesk_ticket DROP CONSTRAINT %s", SQL.identifier(name)))
