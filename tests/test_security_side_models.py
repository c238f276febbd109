from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import HelpdeskCommon

SIDE_MODELS = ('helpdesk.sla.status', 'helpdesk.escalation.log', 'rating.rating')


@tagged('post_install', '-at_install')
class TestSideModelRules(HelpdeskCommon, HttpCase):
    """What belongs to a ticket (SLA lines, escalation log entries, ratings) is visible exactly
    when the ticket is: a private team's side records stay private, another company's too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.write({'privacy_visibility': 'invited_internal', 'use_rating': True})
        cls.public_team = cls.env['helpdesk.team'].create({
            'name': "Public Support", 'privacy_visibility': 'internal', 'use_rating': True,
            'stage_ids': [Command.set(cls.stages.ids)], 'resource_calendar_id': cls.calendar.id,
        })
        cls.other_company = cls.env['res.company'].create({'name': "Other Co"})
        cls.other_team = cls.env['helpdesk.team'].create({
            'name': "Other Co Support", 'company_id': cls.other_company.id, 'privacy_visibility': 'internal',
            'use_rating': True, 'stage_ids': [Command.set(cls.stages.ids)],
        })
        cls.secret = cls._side_ticket(cls.team, "Board member laptop", "Customer threatens to sue")
        cls.public = cls._side_ticket(cls.public_team, "Printer jam", "Waited too long")
        cls.foreign = cls._side_ticket(cls.other_team, "Other company ticket", "Other company reason")
        # a manager of the other company only, and an employee outside the helpdesk
        cls.other_manager = new_test_user(
            cls.env, login='hd_other_co_manager', name="Manager Otto", email='otto@other.example.com',
            groups='helpdesk_sla.group_helpdesk_manager', company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)])
        cls.employee = new_test_user(cls.env, login='hd_employee', groups='base.group_user')
        # another app's rating: the helpdesk rules leave it alone
        cls.partner_rating = cls.env['rating.rating'].create({
            'res_model_id': cls.env['ir.model']._get_id('res.partner'), 'res_id': cls.customer.id,
            'rating': 4, 'feedback': "Some other app's rating", 'consumed': True,
        })

    @classmethod
    def _side_ticket(cls, team, name, reason):
        """A ticket of ``team`` with one SLA line, one escalation log entry and one rating."""
        cls.env['helpdesk.sla'].create({
            'name': f"{team.name}: respond in 2 h", 'team_id': team.id,
            'target_type': 'first_response', 'time': 2.0,
        })
        ticket = cls._create_ticket(name=name, team_id=team.id)
        cls.env['helpdesk.escalation.log'].create({
            'ticket_id': ticket.id, 'level': 1, 'manual': True, 'user_id': cls.manager.id, 'reason': reason,
        })
        ticket._rating_get_access_token()
        ticket.rating_ids.write({'rating': 1, 'feedback': f"Feedback on {name}", 'consumed': True})
        return ticket

    def _side_records(self, tickets):
        return {
            'helpdesk.sla.status': tickets.sla_status_ids,
            'helpdesk.escalation.log': tickets.escalation_log_ids,
            'rating.rating': tickets.rating_ids,
        }

    def test_side_records_exist(self):
        for ticket in self.secret | self.public | self.foreign:
            for model, records in self._side_records(ticket).items():
                self.assertEqual(len(records), 1, f"{model} of {ticket.name}")
            self.assertEqual(ticket.rating_ids.helpdesk_ticket_id, ticket)
        self.assertFalse(self.partner_rating.helpdesk_ticket_id)

    def test_outsider_cannot_read_private_side_records(self):
        """An agent outside the invited-internal team: neither search nor read reaches them."""
        for model, records in self._side_records(self.secret).items():
            with self.subTest(model=model):
                Model = self.env[model].with_user(self.outsider)
                self.assertFalse(Model.search([('id', 'in', records.ids)]))
                self.assertFalse(Model.search_read([('id', 'in', records.ids)], ['id']))
                with self.assertRaises(AccessError):
                    records.with_user(self.outsider).read(['display_name'])
        for model, records in self._side_records(self.public).items():
            with self.subTest(model=model, team="public"):
                self.assertEqual(self.env[model].with_user(self.outsider).search([('id', 'in', records.ids)]), records)
        Log = self.env['helpdesk.escalation.log'].with_user(self.outsider)
        self.assertFalse(Log.search([('reason', 'ilike', "sue")]))
        Rating = self.env['rating.rating'].with_user(self.outsider)
        self.assertFalse(Rating.search([('feedback', 'ilike', "Board member")]))
        self.assertFalse(Rating.search([('res_model', '=', 'helpdesk.ticket'), ('res_id', '=', self.secret.id)]))
        self.assertEqual(Rating.search([('id', '=', self.partner_rating.id)]), self.partner_rating,
                         "other apps' ratings are untouched")

    def test_members_followers_and_managers_read_them(self):
        for user in (self.agent, self.manager):
            for model, records in self._side_records(self.secret).items():
                with self.subTest(user=user.login, model=model):
                    self.assertEqual(self.env[model].with_user(user).search([('id', 'in', records.ids)]), records)
        self.secret.message_subscribe(partner_ids=self.outsider.partner_id.ids)
        for model, records in self._side_records(self.secret).items():
            with self.subTest(user="follower", model=model):
                self.assertEqual(records.with_user(self.outsider).read(['id']), [{'id': records.id}])

    def test_other_company_user(self):
        """A user of another company reads none of this company's ticket records, and the
        other way round, whatever their helpdesk group."""
        for user, tickets in ((self.other_manager, self.secret | self.public), (self.manager, self.foreign)):
            for model, records in self._side_records(tickets).items():
                with self.subTest(user=user.login, model=model):
                    self.assertFalse(self.env[model].with_user(user).search([('id', 'in', records.ids)]))
                    with self.assertRaises(AccessError):
                        records.with_user(user).read(['id'])
        self.assertEqual(
            self.env['rating.rating'].with_user(self.other_manager).search([('id', 'in', self.foreign.rating_ids.ids)]),
            self.foreign.rating_ids)

    def test_employee_outside_helpdesk_reads_no_ticket_rating(self):
        Rating = self.env['rating.rating'].with_user(self.employee)
        self.assertFalse(Rating.search([('res_model', '=', 'helpdesk.ticket')]))
        self.assertEqual(Rating.search([('id', '=', self.partner_rating.id)]), self.partner_rating)

    def test_side_rules_follow_ticket_rules(self):
        """One definition: for every user, the side records visible are exactly those of the
        tickets the user can read (this fails when the ticket rules change and not the side rules)."""
        self.public.message_subscribe(partner_ids=self.outsider.partner_id.ids)
        self.secret.user_id = self.agent_2
        all_tickets = self.secret | self.public | self.foreign
        for user in (self.agent, self.agent_2, self.outsider, self.manager, self.other_manager, self.employee):
            Ticket = self.env['helpdesk.ticket'].with_user(user)
            readable = Ticket.search([('id', 'in', all_tickets.ids)]) if Ticket.has_access('read') else Ticket
            for model, records in self._side_records(all_tickets).items():
                Model = self.env[model].with_user(user)
                if not Model.has_access('read'):
                    continue
                with self.subTest(user=user.login, model=model):
                    expected = self._side_records(all_tickets.browse(readable.ids))[model]
                    self.assertEqual(Model.search([('id', 'in', records.ids)]), expected)

    def test_outsider_over_json_rpc(self):
        """The same attack through the web client's RPC route."""
        self.authenticate(self.outsider.login, self.outsider.login)

        def call(model, method, args, kwargs=None):
            return self.make_jsonrpc_request('/web/dataset/call_kw', {
                'model': model, 'method': method, 'args': args, 'kwargs': kwargs or {}})

        for model, records in self._side_records(self.secret).items():
            with self.subTest(model=model):
                found = call(model, 'search_read', [[('id', 'in', (records | self._side_records(self.public)[model]).ids)]],
                             {'fields': ['display_name']})
                self.assertEqual([row['id'] for row in found], self._side_records(self.public)[model].ids)
                with self.assertRaises(JsonRpcException) as caught:
                    call(model, 'read', [records.ids, ['display_name']])
                self.assertIn('AccessError', str(caught.exception))
        all_tickets = self.secret | self.public | self.foreign
        groups = call('rating.rating', 'formatted_read_group',
                      [[('res_model', '=', 'helpdesk.ticket'), ('res_id', 'in', all_tickets.ids)], []],
                      {'aggregates': ['__count']})
        self.assertEqual(groups[0]['__count'], 1, "only the public team's rating is counted")
        ticket_read = call('helpdesk.ticket', 'search_read', [[('id', '=', self.public.id)]],
                           {'fields': ['sla_status_ids', 'escalation_log_ids', 'rating_ids']})
        self.assertEqual(ticket_read[0]['sla_status_ids'], self.public.sla_status_ids.ids)
