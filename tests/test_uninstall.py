import psycopg2.errors

from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..hooks import uninstall_hook
from .common import HelpdeskCommon


@tagged('post_install', '-at_install')
class TestUninstall(HelpdeskCommon):
    """Uninstalling removes the addon's stages while tickets still point to them: the hook
    removes the tickets (dropped with their table right after) first. The test rolls back."""

    def test_stages_removable_after_the_hook(self):
        ticket = self._create_ticket(stage_id=self.stage_progress.id)
        self.env.flush_all()
        with self.assertRaises(psycopg2.errors.ForeignKeyViolation), mute_logger('odoo.sql_db'), \
                self.env.cr.savepoint():
            self.env.cr.execute(SQL("DELETE FROM helpdesk_stage WHERE id = %s", self.stage_progress.id))
        uninstall_hook(self.env)
        self.assertFalse(ticket.exists())
        self.assertFalse(self.env['helpdesk.sla.status'].search([('ticket_id', '=', ticket.id)]))
        self.stage_progress.unlink()  # what the uninstallation does, without error
        self.env.flush_all()
        self.assertFalse(self.stage_progress.exists())
