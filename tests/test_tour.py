import shutil
import unittest

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests import common as odoo_test_common

# the browsers Odoo's HttpCase looks for (odoo.tests.common), in its order
CHROME_NAMES = ('google-chrome', 'chromium', 'chromium-browser', 'google-chrome-stable')


@tagged('post_install', '-at_install')
class TestTour(HttpCase):
    """Tours in headless Chromium: an agent answers and solves an urgent ticket, a manager
    creates an SLA policy. The data is made here, never taken from the demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Stage = cls.env['helpdesk.stage']
        cls.stage_new = Stage.create({'name': "Tour New", 'sequence': 1})
        cls.stage_progress = Stage.create({'name': "Tour In Progress", 'sequence': 2})
        cls.stage_waiting = Stage.create({'name': "Tour Waiting", 'sequence': 3})
        cls.stage_solved = Stage.create({'name': "Tour Solved", 'sequence': 10, 'fold': True})
        cls.agent = new_test_user(
            cls.env, login='tour_agent', name="Tour Agent", email='tour.agent@example.com',
            groups='helpdesk_sla.group_helpdesk_user', tz='UTC')
        cls.manager = new_test_user(
            cls.env, login='tour_manager', name="Tour Manager", email='tour.manager@example.com',
            groups='helpdesk_sla.group_helpdesk_manager', tz='UTC')
        cls.customer = cls.env['res.partner'].create({
            'name': "Tour Customer", 'email': 'tour.customer@example.com'})
        cls.calendar = cls.env['resource.calendar'].create({'name': "Tour Hours", 'tz': 'UTC'})
        cls.team = cls.env['helpdesk.team'].create({
            'name': "Tour Desk",
            'resource_calendar_id': cls.calendar.id,
            'leader_id': cls.manager.id,
            'member_ids': [Command.set((cls.agent | cls.manager).ids)],
            'stage_ids': [Command.set((cls.stage_new | cls.stage_progress | cls.stage_waiting
                                       | cls.stage_solved).ids)],
            'privacy_visibility': 'internal',
            'use_sla': True,
        })
        cls.sla_urgent_response = cls.env['helpdesk.sla'].create({
            'name': "Tour: urgent first response in 1 h",
            'team_id': cls.team.id,
            'priority': '3',
            'target_type': 'first_response',
            'time': 1.0,
            'time_basis': 'always',
        })
        Ticket = cls.env['helpdesk.ticket']
        cls.ticket_urgent = Ticket.create({
            'name': "Server room is flooding",
            'team_id': cls.team.id,
            'partner_id': cls.customer.id,
            'priority': '3',
            'user_id': cls.agent.id,
        })
        cls.ticket_low = Ticket.create({
            'name': "Typo on the pricing page",
            'team_id': cls.team.id,
            'partner_id': cls.customer.id,
            'priority': '0',
        })

    def setUp(self):
        super().setUp()
        # Odoo skips browser tests itself without Chromium or websocket-client, but logs a
        # warning first: skip quietly so that a machine without a browser stays clean.
        if odoo_test_common.websocket is None:
            raise unittest.SkipTest("websocket-client is not installed: tours skipped")
        if not any(shutil.which(name) for name in CHROME_NAMES):
            raise unittest.SkipTest("no Chrome or Chromium found: tours skipped")

    def test_agent_tour(self):
        """Open the Helpdesk app, open the team's urgent ticket, reply, move it to Solved."""
        self.assertEqual(self.ticket_urgent.sla_status_ids.status, 'ongoing')
        self.start_tour('/odoo', 'helpdesk_sla_agent_tour', login='tour_agent', timeout=180)

        ticket = self.ticket_urgent
        self.assertEqual(ticket.stage_id, self.stage_solved)
        self.assertTrue(ticket.is_closed)
        self.assertTrue(ticket.close_date)
        reply = ticket.message_ids.filtered(
            lambda message: message.message_type == 'comment' and 'We are on it' in (message.body or ''))
        self.assertEqual(len(reply), 1, "the agent's reply is posted once")
        self.assertEqual(reply.author_id, self.agent.partner_id)
        self.assertEqual(reply.subtype_id, self.env.ref('mail.mt_comment'), "a reply, not an internal note")
        self.assertTrue(ticket.date_first_response, "the public reply is the first response")
        self.assertEqual(ticket.sla_status_ids.status, 'reached')
        self.assertFalse(self.ticket_low.is_closed, "the other ticket is untouched")

    def test_manager_tour(self):
        """Create an SLA policy through the form, from the Configuration menu."""
        self.start_tour('/odoo', 'helpdesk_sla_manager_tour', login='tour_manager', timeout=180)

        sla = self.env['helpdesk.sla'].search([('name', '=', "Tour: urgent resolution in 6 h")])
        self.assertEqual(len(sla), 1)
        self.assertEqual(sla.stage_id.name, self.stage_solved.name)
        self.assertRecordValues(sla, [{
            'team_id': self.team.id,
            'target_type': 'resolution',
            'stage_id': self.stage_solved.id,
            'time': 6.0,
            'time_basis': 'always',
            'priority': '3',
            'warning_pct': 80.0,
        }])
        self.assertEqual(sla.exclude_stage_ids, self.stage_waiting)
        # the new policy applies to new urgent tickets of the team
        ticket = self.env['helpdesk.ticket'].create({
            'name': "Payroll export fails", 'team_id': self.team.id, 'priority': '3'})
        self.assertIn(sla, ticket.sla_status_ids.sla_id)
