from odoo.tools import SQL


def uninstall_hook(env):
    """Uninstalling removes the addon's records (its stages among them) before it drops its
    tables. Tickets still pointing to those stages make each stage removal fail and be logged
    as an error (``ondelete='restrict'`` in the database, then the recomputation of the
    tickets' fields related to a stage gone). The tickets are about to be dropped with their
    table (Odoo removes their messages, followers and activities with the model), so they are
    removed first, in the same transaction as the uninstallation; their SLA lines, escalation
    logs and held notifications go with them (``ondelete='cascade'``)."""
    env.flush_all()
    env.execute_query(SQL("DELETE FROM helpdesk_ticket"))
    env.invalidate_all()
