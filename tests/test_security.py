from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import HelpdeskCommon


@tagged('post_install', '-at_install')
class TestSecurity(HelpdeskCommon):

    def test_agent_cannot_manage_teams(self):
        with self.assertRaises(AccessError):
            self.team.with_user(self.agent).unlink()
        with self.assertRaises(AccessError):
            self.team.with_user(self.agent).write({'name': "Renamed"})
        with self.assertRaises(AccessError):
            self.env['helpdesk.stage'].with_user(self.agent).create({'name': "Mine"})
        self.team.with_user(self.manager).write({'name': "Renamed"})
        self.assertEqual(self.team.name, "Renamed")

    def test_agent_cannot_delete_tickets(self):
        ticket = self._create_ticket()
        with self.assertRaises(AccessError):
            ticket.with_user(self.agent).unlink()
        ticket.with_user(self.manager).unlink()
        self.assertFalse(ticket.exists())

    def test_private_team_visibility(self):
        self.team.privacy_visibility = 'invited_internal'
        ticket = self._create_ticket()
        Ticket = self.env['helpdesk.ticket']
        self.assertIn(ticket, Ticket.with_user(self.agent).search([]), "members see their private team's tickets")
        self.assertNotIn(ticket, Ticket.with_user(self.outsider).search([]))
        with self.assertRaises(AccessError):
            ticket.with_user(self.outsider).read(['name'])
        self.assertNotIn(self.team, self.env['helpdesk.team'].with_user(self.outsider).search([]))
        ticket.message_subscribe(partner_ids=self.outsider.partner_id.ids)
        self.assertIn(ticket, Ticket.with_user(self.outsider).search([]), "a follower sees the ticket")
        self.assertEqual(ticket.with_user(self.outsider).name, "Printer on fire")

    def test_internal_team_visible_to_all_agents(self):
        ticket = self._create_ticket()
        self.assertIn(ticket, self.env['helpdesk.ticket'].with_user(self.outsider).search([]))

    def test_manager_sees_private_teams(self):
        self.team.privacy_visibility = 'invited_internal'
        ticket = self._create_ticket()
        self.assertIn(ticket, self.env['helpdesk.ticket'].with_user(self.manager).search([]))

    def test_plain_employee_has_no_access(self):
        employee = new_test_user(self.env, login='hd_employee', groups='base.group_user')
        ticket = self._create_ticket()
        with self.assertRaises(AccessError):
            ticket.with_user(employee).read(['name'])

    def test_multi_company(self):
        other_company = self.env['res.company'].create({'name': "Other Co"})
        other_team = self.env['helpdesk.team'].create({'name': "Other Co Support", 'company_id': other_company.id})
        ticket = self._create_ticket(team_id=other_team.id)
        self.assertEqual(ticket.company_id, other_company)
        self.assertNotIn(ticket, self.env['helpdesk.ticket'].with_user(self.manager).search([]))
