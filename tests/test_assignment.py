import random
from collections import Counter
from datetime import datetime

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import freeze_time, new_test_user, tagged

from .common import HelpdeskCommon

NOW = datetime(2026, 3, 4, 10, 0)  # a Wednesday


@tagged('post_install', '-at_install')
class TestAssignment(HelpdeskCommon):
    """Automatic assignment of new tickets: team methods, ordered rules, time off."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_3 = new_test_user(
            cls.env, login='hd_agent3', name="Agent Cleo", email='cleo@example.com',
            groups='helpdesk_sla.group_helpdesk_user')
        cls.agents = (cls.agent | cls.agent_2 | cls.agent_3).sorted('id')
        cls.team.member_ids = [Command.set(cls.agents.ids)]
        cls.tag_billing = cls.env['helpdesk.tag'].create({'name': "Assignment Billing"})
        cls.type_incident = cls.env['helpdesk.ticket.type'].create({'name': "Assignment Incident"})
        cls.vip = cls.env['res.partner.category'].create({'name': "Gold Tier"})
        cls.vip_company = cls.env['res.partner'].create({
            'name': "Northwind", 'is_company': True, 'category_id': [Command.link(cls.vip.id)]})
        cls.vip_contact = cls.env['res.partner'].create({
            'name': "Nina Northwind", 'email': 'nina@northwind.example.com', 'parent_id': cls.vip_company.id})

    def _create_tickets(self, count, **values):
        values.setdefault('team_id', self.team.id)
        values.setdefault('partner_id', self.customer.id)
        return self.env['helpdesk.ticket'].create([
            dict(values, name=f"Ticket {index}") for index in range(count)])

    @staticmethod
    def _per_agent(tickets):
        return Counter(ticket.user_id for ticket in tickets)

    def _open_counts(self):
        groups = self.env['helpdesk.ticket']._read_group(
            [('team_id', '=', self.team.id), ('is_closed', '=', False)], ['user_id'], ['__count'])
        counts = dict.fromkeys(self.agents, 0)
        counts.update(dict(groups))
        return counts

    # ------------------------------------------------------------
    # TEAM METHODS
    # ------------------------------------------------------------

    def test_manual_team(self):
        tickets = self._create_tickets(5)
        self.assertFalse(tickets.user_id, "a manual team leaves its new tickets to the agents")
        mine = self._create_tickets(1, user_id=self.agent_2.id)
        self.assertEqual(mine.user_id, self.agent_2)

    def test_randomly_equal_counts(self):
        """300 tickets in batches of all sizes: every agent gets the same number, to within one,
        also counting from any point of the rotation; tickets assigned by hand change nothing."""
        self.team.assign_method = 'randomly'
        rng = random.Random(5)
        created = self.env['helpdesk.ticket']
        while len(created) < 300:
            created |= self._create_tickets(min(rng.choice([1, 1, 2, 7, 13, 40]), 300 - len(created)))
            if rng.random() < 0.2:
                self._create_tickets(1, user_id=self.agent.id)  # by hand: not part of the rotation
            counts = dict.fromkeys(self.agents, 0) | self._per_agent(created)
            self.assertLessEqual(max(counts.values()) - min(counts.values()), 1, f"after {len(created)} tickets")
        self.assertEqual(self._per_agent(created), dict.fromkeys(self.agents, 100))
        # one at a time, the agents take turns
        turns = [self._create_tickets(1).user_id for _index in range(6)]
        self.assertEqual(len(set(turns[:3])), 3)
        self.assertEqual(turns[:3], turns[3:], "a rotation: each agent once per round")

    def test_balanced_spread(self):
        """Balanced keeps the spread of open tickets at most one, while tickets get closed."""
        self.team.assign_method = 'balanced'
        rng = random.Random(7)
        created = self.env['helpdesk.ticket']
        for index in range(300):
            if index % 10 == 9:
                rng.choice(created.filtered(lambda ticket: not ticket.is_closed)).stage_id = self.stage_solved
            created |= self._create_tickets(1)
            counts = self._open_counts()
            self.assertLessEqual(max(counts.values()) - min(counts.values()), 1, f"after {index + 1} tickets")

    def test_balanced_batch(self):
        """One batch evens out an existing imbalance (counts kept in memory); closed tickets
        and other teams' tickets do not count."""
        self.team.assign_method = 'balanced'
        self._create_tickets(9, user_id=self.agent.id)
        self._create_tickets(3, user_id=self.agent_2.id)
        self._create_tickets(20, user_id=self.agent_3.id, stage_id=self.stage_solved.id)
        other_team = self.team.copy({'name': "Other", 'assign_method': 'manual'})
        self._create_tickets(20, user_id=self.agent_3.id, team_id=other_team.id)
        batch = self._create_tickets(100)
        self.assertEqual(len(batch.user_id), 3)
        self.assertFalse(batch.filtered(lambda ticket: not ticket.user_id))
        counts = self._open_counts()
        self.assertEqual(sorted(counts.values()), [37, 37, 38], "112 open tickets spread evenly")

    def test_archived_or_removed_members(self):
        self.team.assign_method = 'randomly'
        self.agent_2.action_archive()
        self.team.member_ids = [Command.unlink(self.agent_3.id)]
        tickets = self._create_tickets(12)
        self.assertEqual(tickets.user_id, self.agent, "archived and removed agents get nothing")
        self.team.member_ids = [Command.clear()]
        self.assertFalse(self._create_tickets(2).user_id, "a team without agents leaves tickets unassigned")

    # ------------------------------------------------------------
    # RULES
    # ------------------------------------------------------------

    def _create_rule(self, name, users, **values):
        return self.env['helpdesk.assignment.rule'].create(dict(
            values, name=name, team_id=self.team.id, user_ids=[Command.set(users.ids)]))

    def test_rule_order_first_match_wins(self):
        by_tag = self._create_rule("Billing", self.agent_3, sequence=10, tag_ids=[Command.link(self.tag_billing.id)])
        by_priority = self._create_rule("Urgent", self.agent_2, sequence=20, priority='3')
        both = {'tag_ids': [Command.link(self.tag_billing.id)], 'priority': '3'}
        self.assertEqual(self._create_tickets(1, **both).user_id, self.agent_3)
        self.assertEqual(self._create_tickets(1, priority='3').user_id, self.agent_2)
        by_priority.sequence = 5
        self.assertEqual(self._create_tickets(1, **both).user_id, self.agent_2, "the rule order decides")
        self.assertFalse(self._create_tickets(1, priority='2').user_id,
                         "no rule matches: the manual team method applies")
        by_tag.action_archive()
        self.assertFalse(self._create_tickets(1, tag_ids=[Command.link(self.tag_billing.id)]).user_id,
                         "archived rules are ignored")
        self.team.assign_method = 'balanced'
        self.assertIn(self._create_tickets(1, priority='1').user_id, self.agents,
                      "no rule matches: the team's method applies")

    def test_rule_criteria(self):
        self._create_rule("Incidents", self.agent_2, sequence=1, ticket_type_ids=[Command.link(self.type_incident.id)])
        self._create_rule("VIP", self.agent_3, sequence=2, partner_category_ids=[Command.link(self.vip.id)])
        self._create_rule("Invoices", self.agent, sequence=3, domain="[('name', 'ilike', 'invoice')]")
        self.assertEqual(self._create_tickets(1, ticket_type_id=self.type_incident.id).user_id, self.agent_2)
        self.assertEqual(self._create_tickets(1, partner_id=self.vip_contact.id).user_id, self.agent_3,
                         "the customer tier may be on the contact's company")
        invoice = self.env['helpdesk.ticket'].create({
            'name': "Wrong invoice total", 'team_id': self.team.id, 'partner_id': self.customer.id})
        self.assertEqual(invoice.user_id, self.agent)
        self.assertFalse(self._create_tickets(1).user_id)
        with self.assertRaises(ValidationError):
            self._create_rule("Broken", self.agent, domain="[('no_such_field', '=', 1)]")

    def test_rule_pool(self):
        """Pools use randomly or balanced among their agents still in the team; a rule whose
        agents all left the team lets the next rule or the team method decide."""
        pool = self.agent_2 | self.agent_3
        rule = self._create_rule("Billing pool", pool | self.outsider, assign_method='randomly',
                                 tag_ids=[Command.link(self.tag_billing.id)])
        tickets = self._create_tickets(40, tag_ids=[Command.link(self.tag_billing.id)])
        self.assertEqual(self._per_agent(tickets), {self.agent_2: 20, self.agent_3: 20},
                         "the outsider, not in the team, is never assigned")
        rule.assign_method = 'balanced'
        self._create_tickets(4, user_id=self.agent_2.id)
        tickets = self._create_tickets(6, tag_ids=[Command.link(self.tag_billing.id)])
        self.assertEqual(self._per_agent(tickets), {self.agent_3: 5, self.agent_2: 1})
        self.team.member_ids = [Command.unlink(self.agent_2.id), Command.unlink(self.agent_3.id)]
        self._create_rule("Fallback", self.agent, sequence=50)
        self.assertEqual(self._create_tickets(1, tag_ids=[Command.link(self.tag_billing.id)]).user_id, self.agent)

    # ------------------------------------------------------------
    # TIME OFF
    # ------------------------------------------------------------

    @freeze_time(NOW)
    def test_time_off_skipped(self):
        self.team.assign_method = 'randomly'
        self._add_leave(self.agent, datetime(2026, 3, 2, 0, 0), datetime(2026, 3, 6, 23, 0))
        self._add_leave(self.agent_2, datetime(2026, 3, 10), datetime(2026, 3, 12))  # later: not away now
        self._add_leave(self.agent_3, datetime(2026, 3, 1), datetime(2026, 3, 3))  # over: not away now
        tickets = self._create_tickets(20)
        self.assertEqual(self._per_agent(tickets), {self.agent_2: 10, self.agent_3: 10})
        with freeze_time(datetime(2026, 3, 9, 9, 0)):
            self.assertIn(self.agent, self._create_tickets(3).user_id, "back from time off")

    @freeze_time(NOW)
    def test_everyone_away_look_ahead(self):
        """Nobody in: the agent back soonest gets the tickets; chained leaves count as one."""
        self.team.assign_method = 'balanced'
        self._add_leave(self.agent, datetime(2026, 3, 4, 8, 0), datetime(2026, 3, 4, 12, 0))
        self._add_leave(self.agent, datetime(2026, 3, 4, 12, 0), datetime(2026, 3, 6, 17, 0))  # chained
        self._add_leave(self.agent_2, datetime(2026, 3, 2), datetime(2026, 3, 5, 9, 0))
        self._add_leave(self.agent_3, datetime(2026, 3, 3), datetime(2026, 3, 9))
        tickets = self._create_tickets(5)
        self.assertEqual(tickets.user_id, self.agent_2)
        with freeze_time(datetime(2026, 3, 5, 10, 0)):
            self.assertEqual(self._create_tickets(2).user_id, self.agent_2, "the only one in")

    @freeze_time(NOW)
    def test_time_off_rule_pool(self):
        self._add_leave(self.agent_3, datetime(2026, 3, 4), datetime(2026, 3, 5))
        self._create_rule("VIP", self.agent_2 | self.agent_3, partner_category_ids=[Command.link(self.vip.id)])
        tickets = self._create_tickets(4, partner_id=self.vip_contact.id)
        self.assertEqual(tickets.user_id, self.agent_2)

    # ------------------------------------------------------------
    # CHANNELS AND REASSIGNMENT
    # ------------------------------------------------------------

    def test_any_creator(self):
        """Agents, the API as an agent and sudo'ed portal code create tickets that get assigned."""
        self.team.assign_method = 'randomly'
        by_agent = self.env['helpdesk.ticket'].with_user(self.agent).create(
            {'name': "From the backend", 'team_id': self.team.id})
        self.assertTrue(by_agent.user_id)
        portal = new_test_user(self.env, login='hd_portal', groups='base.group_portal')
        by_portal = self.env['helpdesk.ticket'].with_user(portal).sudo().create(
            {'name': "From the portal", 'team_id': self.team.id, 'partner_id': portal.partner_id.id})
        self.assertIn(by_portal.user_id, self.agents)
        self.assertIn(by_portal.user_id.partner_id, by_portal.message_partner_ids, "the agent follows the ticket")
        agent_follower = by_portal.message_follower_ids.filtered(lambda f: f.partner_id == by_portal.user_id.partner_id)
        self.assertEqual(agent_follower.subtype_ids, self.env['mail.message.subtype'].default_subtypes(
            'helpdesk.ticket')[0], "with the default subtypes: the agent hears of the customer's replies")
        self.team.member_ids = [Command.set(self.agent.ids)]
        own = self.env['helpdesk.ticket'].with_user(self.agent).create({'name': "Mine", 'team_id': self.team.id})
        self.assertEqual(own.user_id, self.agent)
        self.assertEqual(own.message_follower_ids.partner_id.ids.count(self.agent.partner_id.id), 1,
                         "the creator, already following, is not subscribed twice")
        self.assertFalse(self.env['mail.mail'].search([('model', '=', own._name), ('res_id', 'in', (own | by_portal).ids)]),
                         "no 'you have been assigned' email per ticket")

    def test_manual_reassignment_tracked(self):
        self.team.assign_method = 'balanced'
        ticket = self._create_tickets(1)
        first = ticket.user_id
        self.assertTrue(first and ticket.assign_date)
        self.env.flush_all()
        self.env.cr.flush()  # end of the creating transaction's tracking
        other = (self.agents - first)[0]
        ticket.with_user(self.manager).user_id = other
        self.env.flush_all()
        self.env.cr.flush()
        tracking = ticket.message_ids.tracking_value_ids.filtered(lambda value: value.field_id.name == 'user_id')
        self.assertEqual(len(tracking), 1)
        self.assertEqual((tracking.old_value_char, tracking.new_value_char), (first.name, other.name))
        self.assertEqual(ticket.user_id, other)

    # ------------------------------------------------------------
    # CUSTOMER TIER PRIORITY
    # ------------------------------------------------------------

    def test_customer_tier_priority(self):
        self.env['helpdesk.customer.tier'].create({
            'team_id': self.team.id, 'partner_category_id': self.vip.id, 'priority': '2'})
        self.assertEqual(self._create_tickets(1, partner_id=self.vip_contact.id).priority, '2',
                         "the company's tier applies to its contacts")
        self.assertEqual(self._create_tickets(1, partner_id=self.vip_contact.id, priority='3').priority, '3',
                         "a higher priority given at creation stays")
        self.assertEqual(self._create_tickets(1, partner_id=self.vip_contact.id, priority='1').priority, '2')
        self.assertEqual(self._create_tickets(1).priority, '0', "customers without tier keep the default")
        other_team = self.team.copy({'name': "Other"})
        self.assertEqual(self._create_tickets(1, partner_id=self.vip_contact.id, team_id=other_team.id).priority,
                         '0', "tiers are per team")
        ticket = self.env['helpdesk.ticket'].with_context(default_team_id=self.team.id).create(
            {'name': "Default team", 'partner_id': self.vip_contact.id})
        self.assertEqual(ticket.priority, '2')
