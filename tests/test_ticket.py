from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .common import HelpdeskCommon


@tagged('post_install', '-at_install')
class TestTicket(HelpdeskCommon):

    def test_create_defaults(self):
        ticket = self._create_ticket()
        self.assertEqual(ticket.stage_id, self.stage_new, "a new ticket starts in the team's first stage")
        self.assertTrue(ticket.ticket_ref)
        self.assertIn(ticket.ticket_ref, ticket.display_name)
        self.assertEqual(ticket.partner_email, 'carla@customer.example.com', "customer contact copied on the ticket")
        self.assertEqual(ticket.partner_phone, '+32 2 555 01 01')
        self.assertEqual(ticket.company_id, self.team.company_id)
        self.assertIn(self.customer, ticket.message_partner_ids, "the customer follows the ticket")
        self.assertFalse(ticket.assign_date)
        self.assertFalse(ticket.is_closed)
        other = self._create_ticket()
        self.assertNotEqual(ticket.ticket_ref, other.ticket_ref, "references are unique")

    def test_stage_stamps(self):
        with freeze_time('2026-03-02 10:00:00'):
            ticket = self._create_ticket()
            self.assertEqual(ticket.date_last_stage_update, datetime(2026, 3, 2, 10, 0))
        with freeze_time('2026-03-02 10:30:00'):
            ticket.user_id = self.agent
            self.assertEqual(ticket.assign_date, datetime(2026, 3, 2, 10, 30))
        with freeze_time('2026-03-02 11:00:00'):
            ticket.stage_id = self.stage_progress
            self.assertEqual(ticket.date_started, datetime(2026, 3, 2, 11, 0))
            self.assertEqual(ticket.date_last_stage_update, datetime(2026, 3, 2, 11, 0))
        with freeze_time('2026-03-02 12:00:00'):
            ticket.user_id = self.agent_2
            ticket.stage_id = self.stage_waiting
            self.assertEqual(ticket.assign_date, datetime(2026, 3, 2, 10, 30), "first assignment date is kept")
            self.assertEqual(ticket.date_started, datetime(2026, 3, 2, 11, 0), "start date is stamped once")
        with freeze_time('2026-03-02 15:00:00'):
            ticket.stage_id = self.stage_solved
            self.assertTrue(ticket.is_closed)
            self.assertEqual(ticket.close_date, datetime(2026, 3, 2, 15, 0))
            self.assertEqual(ticket.reopen_count, 0)

    def test_create_closed_and_assigned(self):
        with freeze_time('2026-03-02 10:00:00'):
            ticket = self._create_ticket(stage_id=self.stage_solved.id, user_id=self.agent.id)
        self.assertEqual(ticket.close_date, datetime(2026, 3, 2, 10, 0))
        self.assertEqual(ticket.assign_date, datetime(2026, 3, 2, 10, 0))

    def test_reopen_counter(self):
        ticket = self._create_ticket()
        ticket.stage_id = self.stage_solved
        self.assertTrue(ticket.close_date)
        ticket.stage_id = self.stage_progress
        self.assertEqual(ticket.reopen_count, 1)
        self.assertFalse(ticket.close_date, "a reopened ticket is no longer closed")
        ticket.stage_id = self.stage_cancelled
        ticket.stage_id = self.stage_solved
        self.assertEqual(ticket.reopen_count, 1, "moving between closing stages is not a reopening")
        ticket.stage_id = self.stage_new
        self.assertEqual(ticket.reopen_count, 2)

    def test_batch_write_mixed_tickets(self):
        """One write on tickets in different states stamps each one correctly."""
        new = self._create_ticket()
        closed = self._create_ticket(stage_id=self.stage_solved.id)
        (new | closed).write({'stage_id': self.stage_progress.id, 'user_id': self.agent.id})
        self.assertTrue(new.date_started)
        self.assertFalse(closed.date_started, "the closed ticket did not leave the first stage")
        self.assertEqual((new.reopen_count, closed.reopen_count), (0, 1))
        self.assertTrue(new.assign_date and closed.assign_date)

    def test_assign_to_me(self):
        ticket = self._create_ticket().with_user(self.agent)
        ticket.action_assign_to_me()
        self.assertEqual(ticket.user_id, self.agent)
        self.assertIn(self.agent.partner_id, ticket.message_partner_ids)

    def test_change_team_resets_stage(self):
        other_stage = self.env['helpdesk.stage'].create({'name': "Triage", 'sequence': 0})
        other_team = self.env['helpdesk.team'].create({
            'name': "Other", 'stage_ids': [(6, 0, (other_stage | self.stage_solved).ids)]})
        ticket = self._create_ticket()
        ticket.stage_id = self.stage_progress
        ticket.team_id = other_team
        self.assertEqual(ticket.stage_id, other_stage, "a stage the new team lacks is replaced by its first stage")
        ticket.stage_id = self.stage_solved
        ticket.team_id = self.team
        self.assertEqual(ticket.stage_id, self.stage_solved, "a stage both teams share is kept")

    def test_form_onchange_customer(self):
        form = Form(self.env['helpdesk.ticket'].with_context(default_team_id=self.team.id))
        form.name = "Cannot log in"
        form.partner_id = self.customer
        self.assertEqual(form.partner_email, 'carla@customer.example.com')
        self.assertEqual(form.stage_id, self.stage_new)
        ticket = form.save()
        self.assertEqual(ticket.partner_name, "Customer Carla")

    def test_merge(self):
        target = self._create_ticket(name="VPN down")
        tag = self.env['helpdesk.tag'].create({'name': "vpn"})
        other_customer = self.env['res.partner'].create({'name': "Dan", 'email': 'dan@example.com'})
        duplicate = self._create_ticket(name="VPN not working", partner_id=other_customer.id,
                                        priority='3', tag_ids=[(4, tag.id)])
        duplicate.message_post(body="It still fails this morning", message_type='comment')
        attachment = self.env['ir.attachment'].create({
            'name': 'log.txt', 'raw': b'error', 'res_model': 'helpdesk.ticket', 'res_id': duplicate.id})
        wizard = Form(self.env['helpdesk.ticket.merge'].with_context(
            active_model='helpdesk.ticket', active_ids=(target | duplicate).ids)).save()
        self.assertEqual(wizard.target_ticket_id, target, "the oldest ticket is kept by default")
        wizard.action_merge()
        self.assertFalse(duplicate.active)
        self.assertEqual(duplicate.merged_into_id, target)
        self.assertTrue(any("It still fails this morning" in body for body in target.message_ids.mapped('body')),
                        "the duplicate's conversation moved to the kept ticket")
        self.assertEqual(attachment.res_id, target.id)
        self.assertIn(other_customer, target.message_partner_ids)
        self.assertIn(tag, target.tag_ids)
        self.assertEqual(target.priority, '3', "the merged ticket keeps the highest priority")

    def test_merge_needs_two(self):
        ticket = self._create_ticket()
        wizard = self.env['helpdesk.ticket.merge'].create({
            'ticket_ids': [(6, 0, ticket.ids)], 'target_ticket_id': ticket.id})
        with self.assertRaises(UserError):
            wizard.action_merge()
        self.assertTrue(ticket.active)

    def test_team_dashboard_counts(self):
        self._create_ticket(priority='3')
        self._create_ticket(user_id=self.agent.id)
        self._create_ticket(priority='3', stage_id=self.stage_solved.id)
        self.assertEqual(self.team.open_ticket_count, 2)
        self.assertEqual(self.team.unassigned_ticket_count, 1)
        self.assertEqual(self.team.urgent_ticket_count, 1)
        action = self.team.with_context(ticket_filter='urgent').action_view_tickets()
        self.assertEqual(action['context']['search_default_team_id'], self.team.id, "the team is a removable facet")
        domain = action['domain'] + [('team_id', '=', action['context']['search_default_team_id'])]
        self.assertEqual(self.env['helpdesk.ticket'].search(domain).mapped('priority'), ['3'])
