from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.fields import Command
from odoo.tests import TransactionCase, freeze_time, new_test_user


class HelpdeskCommon(TransactionCase):
    """A team on a Mon–Fri 09:00–17:00 UTC calendar, its five stages, agents and a customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False, mail_notrack=False))
        cls.calendar = cls.env['resource.calendar'].create({
            'name': "Test 9-17 UTC",
            'tz': 'UTC',
            'attendance_ids': [Command.clear()] + [Command.create({
                'name': f"Day {day}", 'dayofweek': str(day), 'hour_from': 9.0, 'hour_to': 17.0,
                'day_period': 'full_day',
            }) for day in range(5)],
        })
        Stage = cls.env['helpdesk.stage']
        cls.stage_new = Stage.create({'name': "New", 'sequence': 1})
        cls.stage_progress = Stage.create({'name': "In Progress", 'sequence': 2})
        cls.stage_waiting = Stage.create({'name': "Waiting on Customer", 'sequence': 3})
        cls.stage_solved = Stage.create({'name': "Solved", 'sequence': 10, 'fold': True})
        cls.stage_cancelled = Stage.create({'name': "Cancelled", 'sequence': 11, 'fold': True})
        cls.stages = cls.stage_new | cls.stage_progress | cls.stage_waiting | cls.stage_solved | cls.stage_cancelled

        cls.manager = new_test_user(
            cls.env, login='hd_manager', name="Helpdesk Manager", email='manager@example.com',
            groups='helpdesk_sla.group_helpdesk_manager')
        cls.agent = new_test_user(
            cls.env, login='hd_agent', name="Agent Alice", email='alice@example.com',
            groups='helpdesk_sla.group_helpdesk_user')
        cls.agent_2 = new_test_user(
            cls.env, login='hd_agent2', name="Agent Bob", email='bob@example.com',
            groups='helpdesk_sla.group_helpdesk_user')
        cls.outsider = new_test_user(
            cls.env, login='hd_outsider', name="Agent Out", email='out@example.com',
            groups='helpdesk_sla.group_helpdesk_user')
        cls.customer = cls.env['res.partner'].create({
            'name': "Customer Carla", 'email': 'carla@customer.example.com', 'phone': '+32 2 555 01 01'})
        cls.team = cls.env['helpdesk.team'].create({
            'name': "Support",
            'leader_id': cls.manager.id,
            'member_ids': [Command.set((cls.agent | cls.agent_2).ids)],
            'stage_ids': [Command.set(cls.stages.ids)],
            'resource_calendar_id': cls.calendar.id,
            'privacy_visibility': 'internal',
        })

    @contextmanager
    def travel(self, when):
        """Freeze both Python's clock and the cursor's (``create_date``) at ``when``."""
        with freeze_time(when), patch.object(self.env.cr, 'now', lambda: when):
            yield

    def _at(self, when, action):
        """Run ``action`` at ``when`` and write it to the database (write dates are stamped
        then); the cache is emptied so that what follows reads what was stored."""
        with self.travel(when):
            result = action()
            self.env.flush_all()
            self.env.invalidate_all()
        return result

    def _add_leave(self, user, date_from, date_to):
        """Time off for ``user`` (on a resource of theirs, made when they have none)."""
        resource = user.resource_ids[:1] or self.env['resource.resource'].create({
            'name': user.name, 'user_id': user.id, 'calendar_id': self.calendar.id})
        return self.env['resource.calendar.leaves'].create({
            'name': f"Time off of {user.name}", 'resource_id': resource.id,
            'calendar_id': self.calendar.id, 'date_from': date_from, 'date_to': date_to})

    @classmethod
    def _create_ticket(cls, **values):
        values.setdefault('name', "Printer on fire")
        values.setdefault('team_id', cls.team.id)
        values.setdefault('partner_id', cls.customer.id)
        return cls.env['helpdesk.ticket'].create(values)


class CommittedEscalationCase(TransactionCase):
    """Escalation on real connections: a team, a 1 h (24/7) resolution policy, one rule and
    three tickets are committed (then removed), so that two connections can race on them.
    ``_rule_values`` names the fixture and sets the rule's actions."""

    def _rule_values(self, env):
        return {'name': "Race"}

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            rule_values = self._rule_values(env)
            name = rule_values['name']
            # other rules (demo) must not escalate committed tickets of the database: restored after
            other_rules = env['helpdesk.escalation.rule'].search([])
            other_rules.active = False
            stages = env['helpdesk.stage'].create([{'name': f"{name} New", 'sequence': 1},
                                                   {'name': f"{name} Done", 'sequence': 9, 'fold': True}])
            team = env['helpdesk.team'].create({'name': name, 'stage_ids': [Command.set(stages.ids)]})
            env['helpdesk.sla'].create({
                'name': "Solve in 1 h (24/7)", 'team_id': team.id, 'target_type': 'resolution',
                'stage_id': stages[1].id, 'time': 1.0, 'time_basis': 'always'})
            rule = env['helpdesk.escalation.rule'].create(dict(
                {'team_ids': [Command.set(team.ids)], 'trigger_value': 50,
                 'raise_priority': True, 'mark_escalated': True}, **rule_values))
            env['helpdesk.sla.status']._replan_pending()
            tickets = env['helpdesk.ticket'].create([{'name': f"{name} {i}", 'team_id': team.id} for i in range(3)])
            self.data = {
                'other_rule_ids': other_rules.ids, 'stage_ids': stages.ids, 'team_id': team.id,
                'rule_id': rule.id, 'ticket_ids': tickets.ids, 'line_ids': tickets.sla_status_ids.ids,
            }
            self.when = max(tickets.sla_status_ids.mapped('escalation_due_date')) + timedelta(seconds=1)
        self.addCleanup(self._clean_up)

    def _clean_up(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env['helpdesk.ticket'].browse(self.data['ticket_ids']).exists().unlink()
            env['helpdesk.escalation.rule'].browse(self.data['rule_id']).unlink()
            env['helpdesk.escalation.replan'].search([]).unlink()
            env['helpdesk.team'].browse(self.data['team_id']).unlink()
            env['helpdesk.stage'].browse(self.data['stage_ids']).unlink()
            env['helpdesk.escalation.rule'].browse(self.data['other_rule_ids']).active = True

    @contextmanager
    def _connection(self):
        """A worker's own connection, failing instead of waiting long for a lock."""
        with self.registry.cursor() as cr:
            cr.execute("SET lock_timeout = '5s'")
            yield api.Environment(cr, SUPERUSER_ID, {})
