from datetime import datetime
from unittest.mock import patch

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools import SQL

from .common import HelpdeskCommon

MONDAY_9 = datetime(2026, 3, 2, 9, 0)


@tagged('post_install', '-at_install')
class TestOrmBypass(HelpdeskCommon):
    """Where the engine writes rows itself for speed (SLA lines, assigned agents'
    followers), the result is what the ORM gives, and the promised query budget holds."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Status = cls.env['helpdesk.sla.status']
        cls.policies = cls.env['helpdesk.sla'].create([{
            'name': "Respond in 2 h", 'team_id': cls.team.id, 'target_type': 'first_response', 'time': 2.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        }, {
            'name': "Solve in 8 h", 'team_id': cls.team.id, 'target_type': 'resolution',
            'stage_id': cls.stage_solved.id, 'time': 8.0,
        }])

    def _line_values(self, tickets, when):
        """The values ``_sla_apply`` hands to ``_create_lines``, for each ticket and policy."""
        values = []
        for ticket in tickets:
            for policy in self.policies:
                values.append({
                    'ticket_id': ticket.id, 'sla_id': policy.id, 'target_type': policy.target_type,
                    'company_id': ticket.company_id.id, 'team_id': ticket.team_id.id,
                    'priority': ticket.priority, 'start_date': when,
                    'deadline': datetime(2026, 3, 2, 11, 0), 'warning_date': datetime(2026, 3, 2, 10, 36),
                    'status': 'ongoing', 'pause_start': False, 'paused_seconds': 0.0,
                })
        return values

    def _tickets_without_lines(self, count):
        self.team.use_sla = False
        tickets = self.env['helpdesk.ticket'].create([{'name': f"T{i}", 'team_id': self.team.id,
                                                       'partner_id': self.customer.id} for i in range(count)])
        self.team.use_sla = True
        self.env.flush_all()
        return tickets

    def test_created_lines_equal_the_orm_path(self):
        """Cache after ``_create_lines`` == the database == what ``create`` stores, inverse field included."""
        self.maxDiff = None
        with self.travel(MONDAY_9):
            bypass_tickets, orm_tickets = self._tickets_without_lines(2), self._tickets_without_lines(2)
            bypass = self.Status._create_lines(self._line_values(bypass_tickets, MONDAY_9))
            orm = self.Status.create(self._line_values(orm_tickets, MONDAY_9))
            stored = [name for name, field in self.Status._fields.items()
                      if field.store and name not in ('id', 'ticket_id', 'create_date', 'write_date')]
            cached = {line: {name: line[name] for name in stored} for line in bypass}
            cached_o2m = {ticket: ticket.sla_status_ids for ticket in bypass_tickets}
            cached_summary = {ticket: (ticket.sla_deadline, ticket.sla_fail_date, ticket.sla_status)
                              for ticket in bypass_tickets}
            self.env.flush_all()
            self.env.invalidate_all()
            for line in bypass:
                self.assertEqual({name: line[name] for name in stored}, cached[line], "cache == database")
            for ticket in bypass_tickets:
                self.assertEqual(ticket.sla_status_ids, cached_o2m[ticket], "the inverse one2many was in cache")
                self.assertEqual(len(ticket.sla_status_ids), 2)
                self.assertEqual((ticket.sla_deadline, ticket.sla_fail_date, ticket.sla_status),
                                 cached_summary[ticket], "the ticket summary was computed from that cache")
            row = [name for name in stored if name != 'event_ids']
            for bypass_line, orm_line in zip(bypass, orm, strict=True):
                self.assertEqual({name: bypass_line[name] for name in row},
                                 {name: orm_line[name] for name in row}, "same row as the ORM's create")
                self.assertEqual(bypass_line.event_ids.mapped('event_type'), ['start'])
                self.assertEqual(orm_line.event_ids.mapped('event_type'), ['start'], "both write the start event")
            self.assertEqual([t.sla_deadline for t in bypass_tickets], [t.sla_deadline for t in orm_tickets])

    def _statements(self, action):
        """The SQL statements ``action`` runs, pending writes flushed first and after."""
        self.env.flush_all()
        statements = []
        execute = type(self.env.cr).execute

        def spy(cr, query, params=None, log_exceptions=True):
            statements.append(str(query.code if isinstance(query, SQL) else query).strip())
            return execute(cr, query, params, log_exceptions)

        with patch.object(type(self.env.cr), 'execute', spy):
            action()
            self.env.flush_all()
        return statements

    def test_created_lines_cost_one_insert_per_batch(self):
        """``_create_lines``: one INSERT whatever the batch size, and the same statements for
        2 lines as for 50 (the tickets' SLA summary is written back in one batch too)."""
        with self.travel(MONDAY_9):
            warm, small, large = (self._tickets_without_lines(n) for n in (1, 1, 25))
            self._statements(lambda: self.Status._create_lines(self._line_values(warm, MONDAY_9)))
            small_values, large_values = self._line_values(small, MONDAY_9), self._line_values(large, MONDAY_9)
            small_statements = self._statements(lambda: self.Status._create_lines(small_values))
            large_statements = self._statements(lambda: self.Status._create_lines(large_values))
        inserts = [sql for sql in large_statements if 'INSERT INTO helpdesk_sla_status' in sql]
        self.assertEqual(len(inserts), 1)
        self.assertIn('INSERT INTO helpdesk_sla_event', inserts[0], "the lines' start events in the same statement")
        self.assertEqual(len(small_statements), len(large_statements), large_statements)
        with self.travel(MONDAY_9):
            more = self._tickets_without_lines(10)
            more_values = self._line_values(more, MONDAY_9)
            self.env.flush_all()
            # the INSERT, the check for escalation rules and the tickets' SLA summary written back
            with self.assertQueryCount(4):
                self.Status._create_lines(more_values)

    def test_assignee_followers_equal_the_orm_path(self):
        """The agents' follower rows inserted in bulk are what ``message_subscribe`` makes:
        same partner, same default subtypes, visible at once, and existing followers kept."""
        engine = self.env['helpdesk.assignment.rule']
        tickets = self._tickets_without_lines(3)
        reference = self._tickets_without_lines(1)
        reference.message_subscribe(partner_ids=self.agent.partner_id.ids)
        tickets[0].message_subscribe(partner_ids=self.agent.partner_id.ids,
                                     subtype_ids=self.env.ref('mail.mt_note').ids)
        self.assertNotIn(self.agent.partner_id, tickets[1].message_partner_ids)  # read into the cache
        engine._subscribe_assignees({self.agent.id: tickets})
        for ticket in tickets[1:]:
            self.assertIn(self.agent.partner_id, ticket.message_partner_ids, "the cache was invalidated")
        self.env.invalidate_all()

        def subscription(ticket):
            follower = ticket.message_follower_ids.filtered(lambda f: f.partner_id == self.agent.partner_id)
            self.assertEqual(len(follower), 1)
            return follower.subtype_ids

        expected = subscription(reference)
        self.assertTrue(expected)
        for ticket in tickets[1:]:
            self.assertEqual(subscription(ticket), expected)
        self.assertEqual(subscription(tickets[0]), self.env.ref('mail.mt_note'), "an existing follower is kept")

    def test_assignee_followers_cost_two_inserts_per_batch(self):
        """``_subscribe_assignees``: two INSERTs (followers, their subtypes) whatever the batch."""
        engine = self.env['helpdesk.assignment.rule']
        warm, small, large = (self._tickets_without_lines(n) for n in (1, 2, 20))
        self._statements(lambda: engine._subscribe_assignees({self.agent.id: warm, self.agent_2.id: warm}))
        counts = []
        for tickets in (small, large):
            statements = self._statements(lambda tickets=tickets: engine._subscribe_assignees(
                {self.agent.id: tickets[:1], self.agent_2.id: tickets[1:]}))
            self.assertEqual(len([sql for sql in statements if sql.startswith('INSERT INTO mail_followers')]), 2)
            counts.append(len(statements))
        self.assertEqual(counts[0], counts[1], "the same statements for 2 and 20 tickets")
        more = self._tickets_without_lines(8)
        self.env.flush_all()
        with self.assertQueryCount(2):  # the followers, then their subtypes
            engine._subscribe_assignees({self.agent.id: more[:3], self.agent_2.id: more[3:]})
