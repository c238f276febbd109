from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import tagged

from .test_tour import TestTour


@tagged('post_install', '-at_install')
class TestTourFirstHour(TestTour):
    """The first hour in headless Chromium (issue #16): the agent's queue and ticket, the
    manager's set-up. The data is made here, never taken from the demo data."""

    # the tours of the parent class run there, not a second time here
    test_agent_tour = None
    test_manager_tour = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.alias_domain_id = False
        Stage = cls.env['helpdesk.stage']
        cls.hour_new = Stage.create({'name': "Hour New", 'sequence': 1})
        cls.hour_progress = Stage.create({'name': "Hour In Progress", 'sequence': 2})
        cls.hour_waiting = Stage.create({'name': "Hour Waiting", 'sequence': 3, 'is_waiting': True})
        cls.hour_solved = Stage.create({'name': "Hour Solved", 'sequence': 10, 'fold': True})
        cls.hour_calendar = cls.env['resource.calendar'].create({'name': "Hour Calendar", 'tz': 'UTC'})
        cls.hour_team = cls.env['helpdesk.team'].create({
            'name': "Hour Desk",
            'resource_calendar_id': cls.hour_calendar.id,
            'member_ids': [Command.set((cls.agent | cls.manager).ids)],
            'stage_ids': [Command.set((cls.hour_new | cls.hour_progress | cls.hour_waiting
                                       | cls.hour_solved).ids)],
            'privacy_visibility': 'internal',
            'use_sla': True,
            'use_acknowledgement': False,
        })
        Sla = cls.env['helpdesk.sla']
        cls.hour_response = Sla.create({
            'name': "Hour: respond within the hour", 'team_id': cls.hour_team.id, 'priority': '3',
            'target_type': 'first_response', 'time': 1.0, 'time_basis': 'always',
            'exclude_stage_ids': [Command.clear()]})
        cls.hour_resolution = Sla.create({
            'name': "Hour: resolution in 8 hours, paused while waiting", 'team_id': cls.hour_team.id,
            'priority': 'any', 'target_type': 'resolution', 'stage_id': cls.hour_solved.id, 'time': 8.0,
            'time_basis': 'always'})
        cls.hour_response_high = Sla.create({
            'name': "Hour: respond in 3 hours, even while waiting", 'team_id': cls.hour_team.id,
            'priority': '2', 'target_type': 'first_response', 'time': 3.0, 'time_basis': 'always',
            'exclude_stage_ids': [Command.clear()]})
        assert cls.hour_resolution.exclude_stage_ids == cls.hour_waiting
        Ticket = cls.env['helpdesk.ticket']
        now = fields.Datetime.now()
        cls.hour_urgent = Ticket.create({
            'name': "Hour urgent ticket", 'team_id': cls.hour_team.id, 'partner_id': cls.customer.id,
            'priority': '3', 'user_id': cls.agent.id})
        cls.hour_waiting_ticket = Ticket.create({
            'name': "Hour waiting ticket", 'team_id': cls.hour_team.id, 'partner_id': cls.customer.id,
            'priority': '2', 'user_id': cls.agent.id})
        cls.hour_waiting_ticket.stage_id = cls.hour_waiting
        # a ticket whose first response failed an hour ago; one at risk (48 of its 60 minutes used)
        cls.hour_failed = Ticket.create({
            'name': "Hour failed ticket", 'team_id': cls.hour_team.id, 'partner_id': cls.customer.id,
            'priority': '3', 'user_id': cls.agent.id})
        cls.hour_failed.sla_status_ids.filtered(lambda line: line.sla_id == cls.hour_response).write({
            'start_date': now - timedelta(hours=2), 'deadline': now - timedelta(hours=1),
            'warning_date': now - timedelta(hours=1, minutes=12), 'status': 'failed'})
        cls.hour_urgent.sla_status_ids.filtered(lambda line: line.sla_id == cls.hour_response).write({
            'status': 'warning', 'deadline': now + timedelta(minutes=50),
            'warning_date': now - timedelta(minutes=1)})
        cls.hour_other = Ticket.create({
            'name': "Other desk question", 'team_id': cls.team.id, 'partner_id': cls.customer.id})
        cls.env['resource.calendar.leaves'].create({
            'name': "Hour Founders Day", 'date_from': now + timedelta(days=20),
            'date_to': now + timedelta(days=20, hours=23)})

    def test_first_hour_agent_tour(self):
        self.start_tour('/odoo', 'helpdesk_sla_first_hour_agent_tour', login='tour_agent', timeout=240)
        self.assertFalse(self.hour_waiting_ticket.sla_paused, "one of its two clocks runs")
        self.assertEqual(self.hour_urgent.stage_id, self.hour_solved, "solved in one click")
        self.assertTrue(self.hour_urgent.date_first_response)

    def test_first_hour_manager_tour(self):
        self.start_tour('/odoo', 'helpdesk_sla_first_hour_manager_tour', login='tour_manager', timeout=240)
        sla = self.env['helpdesk.sla'].search([('name', '=', "Hour: any first response in 2 h")])
        self.assertRecordValues(sla, [{'priority': 'any', 'team_id': self.hour_team.id, 'time': 2.0,
                                       'target_type': 'first_response'}])
        self.assertEqual(sla.exclude_stage_ids, self.hour_waiting)
        urgent_resolution = self.env['helpdesk.sla'].search([
            ('team_id', '=', self.hour_team.id), ('priority', '=', '3'), ('target_type', '=', 'resolution')])
        self.assertRecordValues(urgent_resolution, [{'time': 4.0, 'stage_id': self.hour_solved.id}])

