import time
from datetime import datetime, timedelta

from odoo import SUPERUSER_ID, api
from odoo.exceptions import ConcurrencyError
from odoo.fields import Command
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .common import CommittedEscalationCase
from .test_escalation import MONDAY, EscalationCommon


class _Rollback(Exception):
    pass


@tagged('post_install', '-at_install')
class TestEscalationReplan(EscalationCommon):
    """Saving a rule costs the same whatever the backlog: the re-planning of the next escalation
    dates is asked for, the escalation cron is triggered and re-plans before it selects."""

    def test_rule_save_is_deferred_and_the_cron_replans_first(self):
        ticket = self._new_ticket()
        line = self._line(ticket, self.sla_resolution)
        triggers = self.env['ir.cron.trigger'].search_count([('cron_id', '=', self.cron.id)])
        rule = self._rule(trigger_value=50, sla_ids=[Command.link(self.sla_resolution.id)], raise_priority=True)
        self.assertFalse(line.escalation_due_date, "not re-planned inside the save")
        self.assertEqual(self.env['ir.cron.trigger'].search_count([('cron_id', '=', self.cron.id)]), triggers + 1,
                         "the escalation cron is started at once")
        # the cron re-plans before selecting: the line the new rule made due is escalated, once
        self.assertEqual(self._escalate(datetime(2026, 3, 2, 11, 30)), 1)
        self.assertEqual(ticket.priority, '2')
        self.assertEqual(self._escalate(datetime(2026, 3, 2, 11, 45)), 0)
        self.assertEqual(len(self._logs(ticket)), 1)
        # a later trigger: the stale (too early) date is not applied twice nor early
        rule.trigger_value = 90
        self.assertEqual(self._escalate(datetime(2026, 3, 2, 12, 30)), 0, "already applied to this line")
        self.assertFalse(self.env['helpdesk.escalation.replan'].search([]))

    def test_rule_save_does_not_grow_with_the_backlog(self):
        rule = self._rule(trigger_value=50)
        self._new_ticket()
        self.env['helpdesk.sla.status']._replan_pending()

        def save_queries(value):
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            rule.write({'trigger_value': value, 'team_ids': [Command.set(self.team.ids)]})
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        save_queries(55)  # warm caches
        few = save_queries(60)
        for index in range(10):
            self._new_ticket(name=f"More {index}")
        save_queries(65)
        self.assertEqual(save_queries(70), few)

    def test_direct_recompute_stays_synchronous(self):
        """The entry point the SLA re-planning calls keeps recomputing at once."""
        ticket = self._new_ticket()
        line = self._line(ticket, self.sla_resolution)
        self._rule(trigger_value=50)
        self.Rule._recompute_due_dates(self.team)
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 2, 11, 0))


@tagged('post_install', '-at_install')
class TestEscalationBatchIndependence(EscalationCommon):
    """A cron pass decides per ticket with all its due lines: the outcome does not depend on the
    batch size (a raised priority re-matching the policies used to drop the ticket's other due
    line before its turn, or after)."""

    def test_same_backlog_same_logs_whatever_the_batch_size(self):
        stages = self.stages | self.stage_escalated
        team = self.env['helpdesk.team'].create({'name': "Low only", 'stage_ids': [Command.set(stages.ids)],
                                                 'resource_calendar_id': self.calendar.id})
        self.env['helpdesk.sla'].create([{
            'name': "Low: respond in 2 h", 'team_id': team.id, 'priority': '1', 'target_type': 'first_response',
            'time': 2.0,
        }, {
            'name': "Low: solve in 3 h", 'team_id': team.id, 'priority': '1', 'target_type': 'resolution',
            'stage_id': self.stage_solved.id, 'time': 3.0,
        }])
        self._rule(trigger_value=100, team_ids=[Command.set(team.ids)], raise_priority=True, mark_escalated=True)
        tickets = self.env['helpdesk.ticket'].union(*(
            self._new_ticket(MONDAY + timedelta(minutes=index), name=f"Low {index}", team_id=team.id)
            for index in range(9)))
        self.assertEqual(len(tickets.sla_status_ids), 18)
        when = datetime(2026, 3, 2, 13, 30)  # both lines of every ticket are due
        outcomes = {}
        for batch_size in (1, 7, 250):
            try:
                with self.env.cr.savepoint():
                    with self.travel(when):
                        self.env['helpdesk.sla.status']._escalate_due(when, batch_size=batch_size)
                    self.env.invalidate_all()
                    logs = self.Log.search([('ticket_id', 'in', tickets.ids)])
                    outcomes[batch_size] = (
                        sorted((log.ticket_id.name, log.sla_id.name, log.level) for log in logs),
                        tickets.mapped('priority'))
                    raise _Rollback
            except _Rollback:
                self.env.invalidate_all()
        self.assertEqual(outcomes[1], outcomes[250])
        self.assertEqual(outcomes[7], outcomes[250])
        self.assertEqual(len(outcomes[250][0]), 18, "every due line of every ticket is escalated")
        self.assertEqual(outcomes[250][1], ['2'] * 9, "the priority is raised once per ticket")


class TestEscalationAgentsAndCron(CommittedEscalationCase):
    """An agent and the escalation cron on the same tickets, on real connections (the data is
    committed, then removed): the cron skips the ticket the agent is saving instead of making
    them wait, and a follower both add is a retried conflict, never an error for the agent."""

    def _rule_values(self, env):
        return {'name': "Busy", 'add_followers': True,
                'notify_user_ids': [Command.set(env.ref('base.user_admin').ids)]}

    def setUp(self):
        super().setUp()
        self.follower = self.env.ref('base.user_admin').partner_id.id

    def test_cron_skips_the_ticket_an_agent_is_saving(self):
        busy = self.data['ticket_ids'][0]
        with self._connection() as agent, self._connection() as cron, freeze_time(self.when):
            agent['helpdesk.ticket'].browse(busy).write({'name': "Busy 0 (being edited)"})
            agent.flush_all()  # the agent's transaction holds the ticket's row
            start = time.monotonic()
            self.assertEqual(cron['helpdesk.sla.status']._escalate_due(self.when, commit=True), 2)
            self.assertLess(time.monotonic() - start, 4, "the cron did not wait for the agent")
            agent.cr.commit()  # pylint: disable=invalid-commit
            self.assertEqual(cron['helpdesk.sla.status']._escalate_due(self.when, commit=True), 1,
                             "the edited ticket comes back once it is free")
        with self.registry.cursor() as cr:
            tickets = api.Environment(cr, SUPERUSER_ID, {})['helpdesk.ticket'].browse(self.data['ticket_ids'])
            self.assertEqual(tickets.mapped('priority'), ['1'] * 3)
            self.assertEqual(tickets[0].name, "Busy 0 (being edited)")

    def test_follower_added_by_the_cron_meanwhile_is_a_retried_conflict(self):
        ticket_id = self.data['ticket_ids'][0]
        with self._connection() as agent, self._connection() as cron, freeze_time(self.when):
            ticket = agent['helpdesk.ticket'].browse(ticket_id)
            self.assertNotIn(self.follower, ticket.message_partner_ids.ids)  # the agent's snapshot
            cron['helpdesk.sla.status']._escalate_due(self.when, commit=True)  # subscribes the follower
            with self.assertRaises(ConcurrencyError), mute_logger('odoo.sql_db'):
                ticket.message_subscribe(partner_ids=[self.follower])
            agent.cr.rollback()  # what Odoo's request retry does, then runs the request again
            agent.invalidate_all()
            ticket.message_subscribe(partner_ids=[self.follower])
            self.assertEqual(ticket.message_partner_ids.ids.count(self.follower), 1)


@tagged('post_install', '-at_install')
class TestEscalationMessages(EscalationCommon):
    """An automatic escalation writes one message per ticket: its note states the priority and
    agent it changed, which are not tracked again in a second message."""

    def test_one_note_no_second_tracking_message(self):
        self._rule(trigger_value=100, sla_ids=[Command.link(self.sla_resolution.id)], raise_priority=True,
                   user_assign='user', user_id=self.agent_2.id)
        ticket = self._new_ticket(user_id=self.agent.id)
        self.env.flush_all()
        before = ticket.message_ids
        self._escalate(datetime(2026, 3, 2, 13, 0))
        self.env.cr.flush()  # the tracking messages are written before the commit
        self.assertEqual((ticket.priority, ticket.user_id), ('2', self.agent_2))
        new = ticket.message_ids - before
        self.assertEqual(len(new), 1, new.mapped('body'))
        self.assertIn("Priority raised to", str(new.body))
        self.assertIn("Reassigned to", str(new.body))
        # by hand, the changes are tracked as usual
        with self.travel(datetime(2026, 3, 2, 13, 30)):
            ticket.priority = '3'
            self.env.cr.flush()
        self.assertTrue(ticket.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == 'priority'))
