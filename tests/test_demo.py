from odoo.tests import TransactionCase, tagged


@tagged('post_install', '-at_install')
class TestDemoData(TransactionCase):
    """The demo data a newcomer explores loads completely."""

    def test_demo_data(self):
        billing = self.env.ref('helpdesk_sla.team_billing', raise_if_not_found=False)
        if not billing:
            self.skipTest("database installed without demo data")
        technical = self.env.ref('helpdesk_sla.team_technical')
        calendar = self.env.ref('helpdesk_sla.calendar_support_hours')
        self.assertEqual((billing | technical).resource_calendar_id, calendar)
        self.assertEqual(
            billing.stage_ids.mapped('name'),
            ["New", "In Progress", "Escalated", "Waiting on Customer", "Solved", "Cancelled"])
        tickets = self.env['helpdesk.ticket'].search([('team_id', 'in', (billing | technical).ids)])
        self.assertGreaterEqual(len(tickets), 30)
        self.assertEqual(set(tickets.mapped('priority')), {'0', '1', '2', '3'})
        self.assertGreaterEqual(len(tickets.stage_id), 4)
        self.assertTrue(all(tickets.filtered('is_closed').mapped('close_date')))
