from datetime import date

from odoo.fields import Command
from odoo.http import request
from odoo.tests import tagged

from .common_portal import HelpdeskPortalCommon

# the team dashboard's figures (kanban cards of the teams)
DASHBOARD_FIELDS = (
    'open_ticket_count', 'unassigned_ticket_count', 'urgent_ticket_count', 'sla_failed_ticket_count',
    'sla_at_risk_ticket_count', 'sla_outcome_count', 'sla_success_rate', 'rating_count_last_7_days',
    'rating_avg_last_7_days', 'sla_count',
)


@tagged('post_install', '-at_install')
class TestReadReplica(HelpdeskPortalCommon):
    """Read-only work is served on a read-only cursor, so that a deployment with a replica
    (``db_replica_host``, or ``--dev replica``) answers it from the replica.

    The test mode gives read-only routes a cursor in a READ ONLY transaction: a route or
    method that writes fails there and Odoo retries it on a read/write cursor. Each request
    below records the cursor its response was finished on (``ir.http._post_dispatch``): one
    read-only answer means it ran on the replica and wrote nothing.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.write({'use_website_form': True, 'allow_public_form': True})
        cls.sla = cls.env['helpdesk.sla'].create({
            'name': "Urgent: solve in 4 h", 'team_id': cls.team.id, 'priority': '3',
            'target_type': 'resolution', 'stage_id': cls.stage_solved.id, 'time': 4.0,
        })
        cls.rule = cls.env['helpdesk.escalation.rule'].create({
            'name': "Late", 'team_ids': [Command.set(cls.team.ids)], 'mark_escalated': True})
        cls.ticket_urgent = cls._create_ticket(name="Server down", priority='3')
        cls.wizard = cls.env['helpdesk.sla.compliance.wizard'].create({
            'team_ids': [Command.set(cls.team.ids)], 'date_from': date(2026, 1, 1), 'date_to': date(2026, 12, 31),
        })

    def setUp(self):
        super().setUp()
        self.served = []  # (path, cursor read-only) of each response
        IrHttp = type(self.env['ir.http'])
        post_dispatch = IrHttp._post_dispatch

        def spy(cls, response):
            self.served.append((request.httprequest.path, request.env.cr.readonly))
            return post_dispatch(response)

        self.patch(IrHttp, '_post_dispatch', classmethod(spy))

    def _call(self, model, method, args, kwargs=None, route='/web/dataset/call_kw'):
        """``model.method(*args, **kwargs)`` through the web client's RPC; returns the result
        and how it was served."""
        self.served.clear()
        result = self.make_jsonrpc_request(route, {
            'model': model, 'method': method, 'args': args, 'kwargs': kwargs or {}})
        return result, list(self.served)

    def _get(self, url):
        self.served.clear()
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return response, list(self.served)

    def assertReadOnly(self, served, what):
        self.assertEqual([readonly for _path, readonly in served], [True], f"{what}: served read-only, once")

    # ------------------------------------------------------------
    # BACKEND
    # ------------------------------------------------------------

    def test_buttons_run_read_only(self):
        self.authenticate(self.manager.login, self.manager.login)
        buttons = [
            ('helpdesk.team', 'action_view_tickets', self.team, {'ticket_filter': 'sla_failed'}),
            ('helpdesk.team', 'action_view_ratings', self.team, {}),
            ('helpdesk.team', 'action_view_sla', self.team, {}),
            ('helpdesk.sla', 'action_view_status', self.sla, {}),
            ('helpdesk.escalation.rule', 'action_view_logs', self.rule, {}),
            ('helpdesk.ticket', 'action_open_ratings', self.ticket_urgent, {}),
            ('helpdesk.ticket', 'action_open_merged_into', self.ticket_urgent, {}),
            ('helpdesk.sla.compliance.wizard', 'action_print', self.wizard, {'discard_logo_check': True}),
            ('helpdesk.sla.compliance.wizard', 'action_preview', self.wizard, {'discard_logo_check': True}),
        ]
        for model, method, record, context in buttons:
            with self.subTest(model=model, method=method):
                action, served = self._call(model, method, [record.ids], {'context': context},
                                            route='/web/dataset/call_button')
                self.assertTrue(action['type'].startswith('ir.actions.'), f"{method} opens something")
                self.assertReadOnly(served, f"{model}.{method}")
        action, _served = self._call('helpdesk.team', 'action_view_tickets', [self.team.ids],
                                     {'context': {'ticket_filter': 'urgent'}}, route='/web/dataset/call_button')
        self.assertIn(['priority', '=', '3'], action['domain'], "the card's filter, computed on the replica")

    def test_writes_stay_on_the_primary(self):
        """The detector itself: a button that writes is served read/write, and does write."""
        self.authenticate(self.agent.login, self.agent.login)
        _result, served = self._call('helpdesk.ticket', 'action_assign_to_me', [self.ticket_urgent.ids],
                                     route='/web/dataset/call_button')
        self.assertEqual([readonly for _path, readonly in served], [False])
        self.assertEqual(self.ticket_urgent.user_id, self.agent)

    def test_dashboard_and_analyses_run_read_only(self):
        self.authenticate(self.manager.login, self.manager.login)
        result, served = self._call('helpdesk.team', 'web_search_read', [[('id', '=', self.team.id)]], {
            'specification': dict.fromkeys(DASHBOARD_FIELDS, {})})
        self.assertReadOnly(served, "team dashboard")
        card = result['records'][0]
        self.assertEqual((card['open_ticket_count'], card['urgent_ticket_count'], card['sla_count']), (5, 1, 1))
        for model in ('helpdesk.sla.report.analysis', 'helpdesk.ticket.report.analysis'):
            with self.subTest(model=model):
                result, served = self._call(model, 'web_read_group', [], {
                    'domain': [('team_id', '=', self.team.id)], 'groupby': ['team_id'], 'aggregates': ['__count']})
                self.assertReadOnly(served, model)
                self.assertEqual(result['length'], 1)

    def test_compliance_report_renders_read_only(self):
        self.authenticate(self.manager.login, self.manager.login)
        response, served = self._get(f'/report/html/helpdesk_sla.report_sla_compliance/{self.wizard.id}')
        self.assertReadOnly(served, "compliance report")
        self.assertIn(b'SLA Compliance', response.content)
        self.assertIn(f'data-team-id="{self.team.id}"'.encode(), response.content)

    # ------------------------------------------------------------
    # PORTAL AND WEB FORM
    # ------------------------------------------------------------

    def test_portal_pages_run_read_only(self):
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        response, served = self._get('/my/tickets')
        self.assertReadOnly(served, "ticket list")
        self.assertIn(self.ticket_anna.name.encode(), response.content)
        response, served = self._get(f'/my/tickets/{self.ticket_anna.id}')
        self.assertReadOnly(served, "ticket page")
        self.assertIn(self.ticket_anna.name.encode(), response.content)

    def test_ticket_page_by_token_runs_read_only(self):
        ticket = self.ticket_carla
        ticket._portal_ensure_token()
        response, served = self._get(f'/my/tickets/{ticket.id}?access_token={ticket.access_token}')
        self.assertReadOnly(served, "ticket page by token")
        self.assertIn(ticket.name.encode(), response.content)

    def test_web_form_shows_read_only_and_submits_read_write(self):
        self.authenticate(None, None)
        response, served = self._get(f'/helpdesk/{self.team.id}/submit')
        self.assertReadOnly(served, "web form")
        self.assertIn(b'name="description"', response.content)
        self.served.clear()
        response = self.url_open(f'/helpdesk/{self.team.id}/submit', data={
            'csrf_token': self._csrf(), 'partner_name': "Vera Visitor", 'partner_email': 'vera@visitor.example.com',
            'name': "Replica question", 'description': "Does the replica take my ticket?",
        })
        self.assertEqual(response.status_code, 200)
        self.assertEqual([readonly for _path, readonly in self.served], [False], "a submission writes")
        self.assertTrue(self.env['helpdesk.ticket'].search([('name', '=', "Replica question")]))
