import psycopg2.errors

from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..hooks import uninstall_hook
from .common import HelpdeskCommon


@tagged('post_install', '-at_install')
class TestUninstall(HelpdeskCommon):
    """Uninstalling removes the addon's stages while tickets still point to them: the hook
    releases those references first (DDL is transactional: the test rolls it back)."""

    def _remove_stage(self, stage):
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM helpdesk_stage WHERE id = %s", stage.id))

    def test_stages_removable_after_the_hook(self):
        self._create_ticket(stage_id=self.stage_progress.id)
        with self.assertRaises(psycopg2.errors.ForeignKeyViolation), mute_logger('odoo.sql_db'), self.env.cr.savepoint():
            self._remove_stage(self.stage_progress)  # what uninstalling logged as an error
        uninstall_hook(self.env)
        self._remove_stage(self.stage_progress)
        self.env.invalidate_all()
