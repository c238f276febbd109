import logging
import time
from contextlib import contextmanager

from odoo import SUPERUSER_ID, api
from odoo.fields import Command
from odoo.tests import TransactionCase, new_test_user


class TestConcurrentIntake(TransactionCase):
    """Two intakes of one team at the same moment, on real connections (the data is committed,
    then removed): the rotation pointer never makes one wait for the other nor logs an error."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            users = new_test_user(env, login='intake_a', groups='helpdesk_sla.group_helpdesk_user') \
                | new_test_user(env, login='intake_b', groups='helpdesk_sla.group_helpdesk_user')
            stages = env['helpdesk.stage'].create([{'name': "Intake New", 'sequence': 1}])
            team = env['helpdesk.team'].create({
                'name': "Intake", 'assign_method': 'randomly', 'use_sla': False,
                'member_ids': [Command.set(users.ids)], 'stage_ids': [Command.set(stages.ids)]})
            self.data = {'user_ids': users.ids, 'stage_ids': stages.ids, 'team_id': team.id}
        self.addCleanup(self._clean_up)

    def _clean_up(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env['helpdesk.ticket'].with_context(active_test=False).search(
                [('team_id', '=', self.data['team_id'])]).unlink()
            env['helpdesk.team'].browse(self.data['team_id']).unlink()
            env['helpdesk.stage'].browse(self.data['stage_ids']).unlink()
            users = env['res.users'].browse(self.data['user_ids'])
            partners = users.partner_id
            users.unlink()
            partners.unlink()

    @contextmanager
    def _intake(self):
        with self.registry.cursor() as cr:
            cr.execute("SET lock_timeout = '5s'")
            yield api.Environment(cr, SUPERUSER_ID, {})

    def _create(self, env, name):
        ticket = env['helpdesk.ticket'].create({'name': name, 'team_id': self.data['team_id']})
        env.flush_all()
        return ticket

    def test_intake_does_not_queue_behind_another(self):
        with self._intake() as env_1, self._intake() as env_2, self.assertNoLogs('odoo.sql_db', logging.ERROR):
            first = self._create(env_1, "First")  # holds the rotation row until it commits
            start = time.monotonic()
            second = self._create(env_2, "Second")
            self.assertLess(time.monotonic() - start, 4, "the second intake did not wait for the first one")
            self.assertTrue(first.user_id and second.user_id)
            env_1.cr.commit()  # pylint: disable=invalid-commit
            env_2.cr.commit()  # pylint: disable=invalid-commit

    def test_rotation_changed_since_the_snapshot_is_quiet(self):
        with self._intake() as env_1, self._intake() as env_2, self.assertNoLogs('odoo.sql_db', logging.ERROR):
            env_2['helpdesk.team'].browse(self.data['team_id']).name  # noqa: B018 - takes the snapshot
            self._create(env_1, "First")
            env_1.cr.commit()  # pylint: disable=invalid-commit
            second = self._create(env_2, "Second")  # the rotation row changed after its snapshot
            self.assertTrue(second.user_id)
            env_2.cr.commit()  # pylint: disable=invalid-commit
