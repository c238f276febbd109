from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common_portal import HelpdeskPortalCommon


@tagged('post_install', '-at_install')
class TestPortal(HelpdeskPortalCommon):
    """/my/tickets and /my/tickets/<id>, through the real routes."""

    def _get(self, url, **kwargs):
        response = self.url_open(url, **kwargs)
        return response, response.text

    # ------------------------------------------------------------
    # Record rules (what the routes rely on)
    # ------------------------------------------------------------

    def test_rules_portal_user(self):
        Ticket = self.env['helpdesk.ticket']
        self.assertEqual(Ticket.with_user(self.portal_anna).search([]), self.ticket_anna)
        self.assertEqual(Ticket.with_user(self.portal_ben).search([]), self.ticket_ben)
        with self.assertRaises(AccessError):
            self.ticket_ben.with_user(self.portal_anna).read(['name'])
        with self.assertRaises(AccessError):
            self.ticket_anna.with_user(self.portal_anna).write({'priority': '3'})

        self.team.allow_company_tickets = True
        self.assertEqual(Ticket.with_user(self.portal_anna).search([]), self.ticket_anna | self.ticket_clara,
                         "with company tickets allowed, Anna sees her colleague's ticket")
        self.assertEqual(Ticket.with_user(self.portal_ben).search([]), self.ticket_ben)

        self.ticket_carla.message_subscribe(partner_ids=self.portal_ben.partner_id.ids)
        self.assertEqual(Ticket.with_user(self.portal_ben).search([]), self.ticket_ben | self.ticket_carla,
                         "a portal follower sees the ticket")

    def test_rules_team_not_in_portal(self):
        self.assertEqual(self.env['helpdesk.team'].with_user(self.portal_anna).search([('id', '=', self.team.id)]),
                         self.team)
        for visibility in ('internal', 'invited_internal'):
            self.team.privacy_visibility = visibility
            self.ticket_anna.message_subscribe(partner_ids=self.portal_anna.partner_id.ids)
            self.assertFalse(self.env['helpdesk.ticket'].with_user(self.portal_anna).search([]),
                             f"no ticket of a team with visibility {visibility} in the portal")
            self.assertFalse(self.env['helpdesk.team'].with_user(self.portal_anna).search([('id', '=', self.team.id)]))
            self.team.privacy_visibility = 'portal'

    # ------------------------------------------------------------
    # /my and /my/tickets
    # ------------------------------------------------------------

    def test_home_counter(self):
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        response, body = self._get('/my')
        self.assertEqual(response.status_code, 200)
        self.assertIn('/my/tickets', body)
        self.assertIn('data-placeholder_count="ticket_count"', body)
        counters = self.make_jsonrpc_request('/my/counters', {'counters': ['ticket_count']})
        self.assertEqual(counters['ticket_count'], 1)
        self.team.allow_company_tickets = True
        counters = self.make_jsonrpc_request('/my/counters', {'counters': ['ticket_count']})
        self.assertEqual(counters['ticket_count'], 2)

    def test_list_shows_only_own_tickets(self):
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        response, body = self._get('/my/tickets')
        self.assertEqual(response.status_code, 200)
        self.assertIn("Anna cannot print invoices", body)
        self.assertIn(self.ticket_anna.ticket_ref, body)
        self.assertIn("Agent Alice", body, "the assigned agent is shown")
        for other in (self.ticket_ben, self.ticket_clara, self.ticket_carla):
            self.assertNotIn(other.name, body)
            self.assertNotIn(other.ticket_ref, body)

        self.authenticate(self.portal_ben.login, self.portal_ben.login)
        response, body = self._get('/my/tickets')
        self.assertIn("Ben secret payroll question", body)
        self.assertNotIn("Anna cannot print invoices", body)

    def test_list_company_tickets(self):
        self.team.allow_company_tickets = True
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        _response, body = self._get('/my/tickets')
        self.assertIn("Anna cannot print invoices", body)
        self.assertIn("Clara badge reader broken", body)
        self.assertNotIn("Ben secret payroll question", body)
        self.assertNotIn("Carla lost her password", body)

    def test_list_search_filter_sort_group(self):
        solved = self._create_ticket(
            name="Anna old VPN issue", partner_id=self.portal_anna.partner_id.id, stage_id=self.stage_solved.id)
        self.authenticate(self.portal_anna.login, self.portal_anna.login)

        _response, body = self._get('/my/tickets?filterby=open')
        self.assertIn("Anna cannot print invoices", body)
        self.assertNotIn("Anna old VPN issue", body)
        _response, body = self._get('/my/tickets?filterby=closed')
        self.assertNotIn("Anna cannot print invoices", body)
        self.assertIn("Anna old VPN issue", body)

        _response, body = self._get('/my/tickets?search_in=ticket_ref&search=' + solved.ticket_ref)
        self.assertIn("Anna old VPN issue", body)
        self.assertNotIn("Anna cannot print invoices", body)
        _response, body = self._get('/my/tickets?search_in=name&search=VPN')
        self.assertIn("Anna old VPN issue", body)
        self.assertNotIn("Anna cannot print invoices", body)
        _response, body = self._get('/my/tickets?search=payroll')
        self.assertNotIn("Ben secret payroll question", body, "searching never reaches other customers' tickets")

        self.ticket_anna.message_post(body="The spooler crashes at boot", message_type='comment',
                                      subtype_xmlid='mail.mt_comment')
        _response, body = self._get('/my/tickets?search_in=message&search=spooler')
        self.assertIn("Anna cannot print invoices", body)
        self.assertNotIn("Anna old VPN issue", body)

        for sortby in ('date', 'reference', 'stage', 'priority', 'bogus'):
            response, body = self._get(f'/my/tickets?sortby={sortby}')
            self.assertEqual(response.status_code, 200, sortby)
            self.assertIn("Anna old VPN issue", body)
        _response, body = self._get('/my/tickets?sortby=priority')
        self.assertLess(body.index("Anna cannot print invoices"), body.index("Anna old VPN issue"),
                        "priority sort puts the high priority ticket first")

        for groupby in ('stage', 'team', 'priority', 'none', 'bogus'):
            response, body = self._get(f'/my/tickets?groupby={groupby}')
            self.assertEqual(response.status_code, 200, groupby)
            self.assertIn("Anna cannot print invoices", body)
        _response, body = self._get('/my/tickets')
        self.assertLess(body.index("Anna old VPN issue"), body.index("Anna cannot print invoices"),
                        "newest first by default")
        _response, body = self._get('/my/tickets?groupby=stage')
        self.assertEqual(body.count('<tr class="table-light">'), 2, "one header per stage")
        self.assertLess(body.index("Anna cannot print invoices"), body.index("Anna old VPN issue"),
                        "grouped by stage, the New stage comes before Solved")

    def test_list_links_team_forms(self):
        self.team.use_website_form = True
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        _response, body = self._get('/my/tickets')
        self.assertIn(f'/helpdesk/{self.team.id}/submit', body)

    def test_list_requires_login(self):
        self.authenticate(None, None)
        response = self.url_open('/my/tickets')
        self.assertIn('/web/login', response.url)
        self.assertNotIn("Anna cannot print invoices", response.text)

    # ------------------------------------------------------------
    # /my/tickets/<id>
    # ------------------------------------------------------------

    def test_detail_own_ticket(self):
        self.team.allow_portal_ticket_closing = False
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        response, body = self._get(f'/my/tickets/{self.ticket_anna.id}')
        self.assertEqual(response.status_code, 200)
        self.assertIn("Anna cannot print invoices", body)
        self.assertIn(self.ticket_anna.ticket_ref, body)
        self.assertIn('<div><strong>Stage:</strong> <span>New</span></div>', body)
        self.assertIn("Agent Alice", body)
        self.assertIn('o_portal_chatter', body, "the conversation is shown")
        self.assertIn('data-res_model="helpdesk.ticket"', body)
        self.assertNotIn("Close this ticket", body, "the team does not let customers close tickets")
        self.assertEqual(self.ticket_anna.access_url, f'/my/tickets/{self.ticket_anna.id}')
        self.assertNotIn("Back to edit mode", body)

        self.authenticate(self.agent.login, self.agent.login)
        response, body = self._get(f'/my/tickets/{self.ticket_anna.id}')
        self.assertEqual(response.status_code, 200)
        self.assertIn("Back to edit mode", body, "agents previewing the portal get a way back")

    @mute_logger('odoo.http')
    def test_detail_other_customer_ticket(self):
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        for ticket in (self.ticket_ben, self.ticket_clara, self.ticket_carla):
            response, body = self._get(f'/my/tickets/{ticket.id}')
            self.assertEqual(response.status_code, 404)
            self.assertNotIn(ticket.name, body)
            self.assertNotIn(ticket.ticket_ref, body)
        missing_id = self.env['helpdesk.ticket'].search([], order='id desc', limit=1).id + 1000
        response, _body = self._get(f'/my/tickets/{missing_id}')
        self.assertEqual(response.status_code, 404, "a missing ticket looks like a forbidden one")
        # a token of another ticket opens nothing
        response, body = self._get(
            f'/my/tickets/{self.ticket_ben.id}?access_token={self.ticket_anna._portal_ensure_token()}')
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Ben secret payroll question", body)

    @mute_logger('odoo.http')
    def test_detail_visitor_needs_token(self):
        token = self.ticket_ben._portal_ensure_token()
        self.authenticate(None, None)
        response = self.url_open(f'/my/tickets/{self.ticket_ben.id}')
        self.assertIn('/web/login', response.url, "without a token, a visitor is asked to log in")
        self.assertNotIn("Ben secret payroll question", response.text)
        response, body = self._get(f'/my/tickets/{self.ticket_ben.id}?access_token=not-the-token')
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Ben secret payroll question", body)
        response, body = self._get(f'/my/tickets/{self.ticket_anna.id}?access_token={token}')
        self.assertEqual(response.status_code, 404, "a token only opens its own ticket")
        self.assertNotIn("Anna cannot print invoices", body)

        response, body = self._get(f'/my/tickets/{self.ticket_ben.id}?access_token={token}')
        self.assertEqual(response.status_code, 200)
        self.assertIn("Ben secret payroll question", body)

    def test_detail_chatter(self):
        self.ticket_anna.message_post(
            body="Agent reply about the spooler", message_type='comment', subtype_xmlid='mail.mt_comment',
            author_id=self.agent.partner_id.id)
        self.ticket_anna.message_post(body="Internal note: customer is grumpy", subtype_xmlid='mail.mt_note')
        self.ticket_ben.message_post(
            body="Reply about Ben's payroll", message_type='comment', subtype_xmlid='mail.mt_comment')
        self.authenticate(self.portal_anna.login, self.portal_anna.login)

        fetched = self.make_jsonrpc_request(
            '/mail/chatter_fetch', {'thread_model': 'helpdesk.ticket', 'thread_id': self.ticket_anna.id})
        self.assertIn("Agent reply about the spooler", str(fetched))
        self.assertNotIn("customer is grumpy", str(fetched), "internal notes stay internal")
        fetched = self.make_jsonrpc_request(
            '/mail/chatter_fetch', {'thread_model': 'helpdesk.ticket', 'thread_id': self.ticket_ben.id})
        self.assertNotIn("Ben's payroll", str(fetched))
        self.assertFalse(fetched['messages'])

        self.make_jsonrpc_request('/mail/message/post', {
            'thread_model': 'helpdesk.ticket', 'thread_id': self.ticket_anna.id,
            'post_data': {'body': "Still broken after reboot", 'message_type': 'comment',
                          'subtype_xmlid': 'mail.mt_comment'},
        })
        with self.assertRaises(JsonRpcException), mute_logger('odoo.http'):
            self.make_jsonrpc_request('/mail/message/post', {
                'thread_model': 'helpdesk.ticket', 'thread_id': self.ticket_ben.id,
                'post_data': {'body': "Anna writes on Ben's ticket", 'message_type': 'comment',
                              'subtype_xmlid': 'mail.mt_comment'},
            })
        self.env.invalidate_all()
        reply = self.ticket_anna.message_ids.filtered(lambda m: "Still broken after reboot" in (m.body or ''))
        self.assertEqual(reply.author_id, self.portal_anna.partner_id)
        self.assertFalse(self.ticket_ben.message_ids.filtered(lambda m: "Anna writes" in (m.body or '')))

    # ------------------------------------------------------------
    # Closing from the portal
    # ------------------------------------------------------------

    def test_close_ticket(self):
        self.team.allow_portal_ticket_closing = True
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        _response, body = self._get(f'/my/tickets/{self.ticket_anna.id}')
        self.assertIn("Close this ticket", body)

        response = self.url_open(f'/my/tickets/{self.ticket_anna.id}/close', data={'csrf_token': self._csrf()})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.url.endswith(f'/my/tickets/{self.ticket_anna.id}'))
        self.env.invalidate_all()
        self.assertEqual(self.ticket_anna.stage_id, self.stage_solved,
                         "the first closing stage by sequence, not Cancelled")
        self.assertTrue(self.ticket_anna.close_date)
        message = self.ticket_anna.message_ids.filtered(lambda m: 'closed the ticket' in (m.body or ''))
        self.assertEqual(message.author_id, self.portal_anna.partner_id)
        self.assertNotIn("Close this ticket", self._get(f'/my/tickets/{self.ticket_anna.id}')[1])

    @mute_logger('odoo.http')
    def test_close_ticket_refused(self):
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        self.team.allow_portal_ticket_closing = False
        response = self.url_open(f'/my/tickets/{self.ticket_anna.id}/close', data={'csrf_token': self._csrf()})
        self.assertEqual(response.status_code, 403, "the team does not allow customers to close")
        self.team.allow_portal_ticket_closing = True
        response = self.url_open(f'/my/tickets/{self.ticket_ben.id}/close', data={'csrf_token': self._csrf()})
        self.assertEqual(response.status_code, 404, "nobody closes another customer's ticket")
        response = self.url_open(f'/my/tickets/{self.ticket_anna.id}/close', data={'dummy': '1'})
        self.assertEqual(response.status_code, 400, "a POST without CSRF token is refused")
        self.env.invalidate_all()
        self.assertEqual((self.ticket_anna | self.ticket_ben).stage_id, self.stage_new)

    def test_close_ticket_with_token(self):
        self.team.allow_portal_ticket_closing = True
        token = self.ticket_carla._portal_ensure_token()
        self.authenticate(None, None)
        response = self.url_open(
            f'/my/tickets/{self.ticket_carla.id}/close', data={'csrf_token': self._csrf(), 'access_token': token})
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(self.ticket_carla.stage_id, self.stage_solved)
        message = self.ticket_carla.message_ids.filtered(lambda m: 'closed the ticket' in (m.body or ''))
        self.assertEqual(message.author_id, self.customer, "the customer of the ticket closed it")

    # ------------------------------------------------------------
    # Visibility switch
    # ------------------------------------------------------------

    def test_visibility_switch_removes_portal_followers(self):
        internal_follower = new_test_user(self.env, login='hd_employee_follower', groups='base.group_user')
        self.team.message_subscribe(partner_ids=(self.portal_ben.partner_id | internal_follower.partner_id).ids)
        self.ticket_carla.message_subscribe(partner_ids=(self.portal_ben.partner_id | self.portal_anna.partner_id).ids)
        archived = self._create_ticket(name="Archived one", partner_id=self.portal_anna.partner_id.id)
        archived.active = False
        other_team = self.env['helpdesk.team'].create({
            'name': "Other portal team", 'privacy_visibility': 'portal',
            'stage_ids': [Command.set(self.stages.ids)]})
        other_ticket = self._create_ticket(team_id=other_team.id, partner_id=self.portal_anna.partner_id.id)
        portal_partners = self.portal_anna.partner_id | self.portal_ben.partner_id

        self.team.with_user(self.manager).privacy_visibility = 'internal'

        tickets = self.ticket_anna | self.ticket_ben | self.ticket_clara | self.ticket_carla | archived
        self.assertFalse(tickets.message_partner_ids & portal_partners)
        self.assertFalse(self.team.message_partner_ids & portal_partners)
        self.assertIn(internal_follower.partner_id, self.team.message_partner_ids, "internal followers stay")
        self.assertIn(self.customer, self.ticket_carla.message_partner_ids, "contacts without a user stay")
        self.assertIn(self.clara, self.ticket_clara.message_partner_ids)
        self.assertIn(self.portal_anna.partner_id, other_ticket.message_partner_ids, "other teams are untouched")

        self.team.privacy_visibility = 'portal'
        self.assertFalse(self.env['helpdesk.ticket'].with_user(self.portal_ben).search([('id', '=', self.ticket_carla.id)]),
                         "back in the portal, the removed follower does not see the ticket again")

    @mute_logger('odoo.http')
    def test_visibility_switch_closes_the_portal(self):
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        self.assertEqual(self.url_open(f'/my/tickets/{self.ticket_anna.id}').status_code, 200)
        self.team.privacy_visibility = 'invited_internal'
        response = self.url_open(f'/my/tickets/{self.ticket_anna.id}')
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Anna cannot print invoices", response.text)
        _response, body = self._get('/my/tickets')
        self.assertNotIn("Anna cannot print invoices", body)
