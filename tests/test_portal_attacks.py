from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common_portal import HelpdeskPortalCommon

# What a portal user may read on a ticket it can see: its own pages, the chatter, Odoo's mixins
TICKET_PORTAL_FIELDS = {
    'id', 'display_name', 'name', 'ticket_ref', 'description', 'active', 'team_id', 'company_id', 'user_id',
    'partner_id', 'partner_name', 'partner_email', 'partner_phone', 'email_cc', 'priority', 'stage_id',
    'is_closed', 'close_date', 'date_last_stage_update', 'create_date', 'create_uid', 'write_date', 'write_uid',
    'access_token', 'access_url', 'access_warning',
    'has_message', 'message_ids', 'website_message_ids', 'message_is_follower', 'message_needaction',
    'message_needaction_counter', 'message_has_error', 'message_has_error_counter', 'message_has_sms_error',
    'activity_type_icon',
}
# What only internal users read: how the team works the ticket (and Odoo's own internal fields)
TICKET_INTERNAL_FIELDS = {
    'color', 'tag_ids', 'ticket_type_id', 'channel', 'merged_into_id', 'reopen_count', 'duration_tracking',
    'rotting_days', 'is_rotting', 'auto_close_reminder_date', 'form_submitter_key',
    'assign_date', 'date_started', 'date_first_response', 'assign_hours', 'first_response_hours', 'close_hours',
    'is_first_contact_resolution',
    'escalation_level', 'is_escalated', 'escalation_date', 'escalation_log_ids',
    'use_sla', 'sla_status_ids', 'sla_deadline', 'sla_status', 'sla_reached_late', 'sla_success',
    'sla_fail_date', 'sla_fail', 'sla_at_risk', 'sla_paused',
    'rating_ids', 'rating_count', 'rating_avg', 'rating_avg_text', 'rating_percentage_satisfaction',
    'rating_last_value', 'rating_last_feedback', 'rating_last_image', 'rating_last_text',
    'activity_ids', 'activity_state', 'activity_exception_decoration', 'activity_exception_icon', 'activity_user_id', 'activity_type_id', 'activity_date_deadline',
    'my_activity_date_deadline', 'activity_summary',
    'message_follower_ids', 'message_partner_ids', 'message_attachment_count',
    'sla_event_ids', 'intake_message_id', 'origin_channel_id', 'document_ref', 'document_ref_domains',
    'document_display_name', 'has_document_models', 'can_ticket_refund', 'can_ticket_return', 'can_ticket_repair',
}
TEAM_PORTAL_FIELDS = {
    'id', 'display_name', 'name', 'description', 'active', 'sequence', 'company_id',
    'use_website_form', 'allow_public_form', 'allow_form_priority', 'website_form_url',
    'allow_portal_ticket_closing', 'allow_company_tickets', 'ticket_ids',
    'alias_id', 'alias_name', 'alias_domain', 'alias_domain_id', 'alias_email',
    'create_date', 'create_uid', 'write_date', 'write_uid',
    'has_message', 'message_ids', 'website_message_ids', 'message_is_follower', 'message_needaction',
    'message_needaction_counter', 'message_has_error', 'message_has_error_counter', 'message_has_sms_error',
}
TEAM_INTERNAL_FIELDS = {
    'leader_id', 'member_ids', 'rating_alert_user_id', 'last_assigned_user_id',
    'color', 'privacy_visibility', 'stage_ids', 'resource_calendar_id', 'assign_method', 'assignment_rule_ids',
    'customer_tier_ids', 'use_sla', 'sla_ids', 'sla_count', 'use_rating', 'alias_contact', 'alias_defaults',
    'allow_cc_followers', 'auto_close_ticket', 'auto_close_day', 'auto_close_reminder_day', 'from_stage_ids',
    'to_stage_id', 'reply_stage_id',
    'open_ticket_count', 'unassigned_ticket_count', 'urgent_ticket_count', 'sla_failed_ticket_count',
    'sla_at_risk_ticket_count', 'sla_outcome_count', 'sla_success_rate',
    'rating_count_last_7_days', 'rating_avg_last_7_days', 'rating_ids', 'rating_count', 'rating_avg',
    'rating_avg_percentage', 'rating_percentage_satisfaction',
    'message_follower_ids', 'message_partner_ids', 'message_attachment_count',
    'use_acknowledgement', 'has_alias_domain',
    'agent_capacity', 'agent_load', 'queued_ticket_count', 'rating_validity_days', 'reopen_on_low_rating',
    'rating_avg_sla_met', 'rating_avg_sla_failed', 'rating_sla_met_count', 'rating_sla_failed_count',
}


def _call(case, model, method, args, kwargs=None):
    return case.make_jsonrpc_request('/web/dataset/call_kw', {
        'model': model, 'method': method, 'args': args, 'kwargs': kwargs or {}})


@tagged('post_install', '-at_install')
class TestPortalMessageSearch(HelpdeskPortalCommon):
    """/my/tickets?search_in=message searches what the customer can read, nothing else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket_anna_2 = cls._create_ticket(
            name="Anna VPN drops", partner_id=cls.portal_anna.partner_id.id)
        cls.ticket_anna.message_post(
            body="The spooler crashes at boot, 50% of the time", message_type='comment',
            subtype_xmlid='mail.mt_comment')
        cls.ticket_anna_2.message_post(
            body="Customer is rude; refund_blocked until audit", message_type='comment',
            subtype_xmlid='mail.mt_note')
        cls.ticket_anna_2.message_post(
            body="Escalated by email to legal", message_type='email', subtype_xmlid='mail.mt_note')

    def _listed(self, search, search_in='message'):
        body = self.url_open('/my/tickets', params={'search_in': search_in, 'search': search}).text
        return {ticket.name for ticket in self.ticket_anna | self.ticket_anna_2 if ticket.name in body}

    def test_internal_notes_are_not_searchable(self):
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        self.assertEqual(self._listed("spooler"), {self.ticket_anna.name}, "public messages are searchable")
        for probe in ("rude", "refund_blocked", "legal", "audit"):
            with self.subTest(probe=probe):
                self.assertEqual(self._listed(probe), set(), "an internal note never matches")

    def test_wildcards_are_literal(self):
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        self.assertEqual(self._listed("%"), {self.ticket_anna.name}, "'%' matches a '%', not everything")
        self.assertEqual(self._listed("50%"), {self.ticket_anna.name})
        for probe in ("_", "refund%audit", "r_de", "sp%er", "%%"):
            with self.subTest(probe=probe):
                self.assertEqual(self._listed(probe), set())
        self.assertEqual(self._listed("%", search_in='name'), set())
        self.assertEqual(self._listed("VPN", search_in='name'), {self.ticket_anna_2.name})
        self.assertEqual(self._listed("_", search_in='all'), set())

    def test_rpc_search_through_messages(self):
        """The same probe without the portal page: a search domain through the ticket's messages."""
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        anna = (self.ticket_anna | self.ticket_anna_2).ids
        notes = self.ticket_anna_2.message_ids.filtered(lambda message: message.subtype_id.internal)
        self.assertGreaterEqual(len(notes), 2)

        def found(domain):
            return set(_call(self, 'helpdesk.ticket', 'search', [[('id', 'in', anna), *domain]]))

        self.assertEqual(found([('message_ids.body', 'ilike', 'spooler')]), {self.ticket_anna.id})
        for domain in ([('message_ids.body', 'ilike', 'rude')],
                       [('message_ids', 'any', [('body', 'ilike', 'legal')])],
                       [('website_message_ids.body', 'ilike', 'rude')],
                       [('message_ids.subtype_id.internal', '=', True)],
                       [('message_ids', 'in', notes.ids)]):
            with self.subTest(domain=domain):
                self.assertEqual(found(domain), set())
        # an agent still searches notes
        self.authenticate(self.agent.login, self.agent.login)
        self.assertEqual(found([('message_ids.body', 'ilike', 'rude')]), {self.ticket_anna_2.id})


@tagged('post_install', '-at_install')
class TestPortalFieldAccess(HelpdeskPortalCommon):
    """Every ticket and team field is either portal-readable or internal, and a portal user
    reading an internal one over RPC gets an access error."""

    def _read_each(self, model, record, field_names):
        """``{field: error or None}`` for a read of each field alone, over JSON-RPC."""
        results = {}
        for name in sorted(field_names):
            try:
                _call(self, model, 'read', [record.ids, [name]])
                results[name] = None
            except JsonRpcException as error:
                results[name] = str(error)
        return results

    def _check_model(self, model, record, portal_fields, internal_fields):
        fields = set(self.env[model]._fields)
        self.assertFalse(portal_fields & internal_fields)
        self.assertEqual(fields - portal_fields - internal_fields, set(),
                         f"every {model} field is classified as portal-readable or internal")
        present_portal = portal_fields & fields
        present_internal = internal_fields & fields
        with mute_logger('odoo.http'):
            readable = self._read_each(model, record, present_portal)
            internal = self._read_each(model, record, present_internal)
        self.assertEqual({name: error for name, error in readable.items() if error}, {},
                         "the portal reads the fields its pages need")
        self.assertEqual({name for name, error in internal.items() if not (error and 'AccessError' in error)},
                         set(), "internal fields are refused to the portal")
        visible = set(_call(self, model, 'fields_get', [], {'attributes': ['type']}))
        restricted = {name for name in present_internal if self.env[model]._fields[name].groups}
        self.assertFalse(visible & restricted, "fields_get does not list internal fields")

    def test_portal_reads_ticket_fields(self):
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        self._check_model('helpdesk.ticket', self.ticket_anna, TICKET_PORTAL_FIELDS, TICKET_INTERNAL_FIELDS)

    def test_portal_reads_team_fields(self):
        self.team.use_rating = True
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        self._check_model('helpdesk.team', self.team, TEAM_PORTAL_FIELDS, TEAM_INTERNAL_FIELDS)

    def test_satisfaction_figures_over_rpc(self):
        """The attack of the report: the team's 7-day rating average through search_read."""
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        for fields in (['rating_avg_last_7_days', 'rating_count_last_7_days'], ['rating_percentage_satisfaction'],
                       ['sla_success_rate'], ['member_ids']):
            with self.subTest(fields=fields), self.assertRaises(JsonRpcException) as caught, mute_logger('odoo.http'):
                _call(self, 'helpdesk.team', 'search_read', [[('id', '=', self.team.id)]], {'fields': fields})
            self.assertIn('AccessError', str(caught.exception))
        for fields in (['escalation_level', 'is_escalated'], ['sla_fail_date']):
            with self.subTest(fields=fields), self.assertRaises(JsonRpcException) as caught, mute_logger('odoo.http'):
                _call(self, 'helpdesk.ticket', 'search_read', [[('id', '=', self.ticket_anna.id)]], {'fields': fields})
            self.assertIn('AccessError', str(caught.exception))
        # and an agent still reads them
        self.authenticate(self.agent.login, self.agent.login)
        rows = _call(self, 'helpdesk.team', 'search_read', [[('id', '=', self.team.id)]],
                     {'fields': ['rating_avg_last_7_days', 'member_ids', 'sla_success_rate']})
        self.assertEqual(rows[0]['member_ids'], self.team.member_ids.ids)


@tagged('post_install', '-at_install')
class TestWebFormAttacks(HelpdeskPortalCommon):
    """The web form refuses malformed addresses and limits floods per mailbox and per IP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.write({'use_website_form': True, 'allow_public_form': True})
        cls.url = f'/helpdesk/{cls.team.id}/submit'

    def _post(self, **values):
        data = {
            'csrf_token': self._csrf(),
            'partner_name': "Victor Visitor",
            'partner_email': 'victor@visitor.example.com',
            'name': "Scanner jams",
            'description': "It jams.",
        }
        data.update(values)
        self.env.flush_all()
        response = self.url_open(self.url, data=data)
        self.env.invalidate_all()
        return response

    def _team_tickets(self):
        return self.env['helpdesk.ticket'].with_context(active_test=False).search([('team_id', '=', self.team.id)])

    def test_malformed_addresses_are_refused(self):
        self.authenticate(None, None)
        tickets = self._team_tickets()
        partners = self.env['res.partner'].search_count([])
        for address in ('a@b@c', 'victor@visitor@example.com', '"a@b"@example.com', 'Eve <eve@example.com>',
                        'victor@visitor.example.com, eve@example.com', 'eve@localhost'):
            with self.subTest(address=address):
                response = self._post(partner_email=address)
                self.assertEqual(response.status_code, 400)
                self.assertIn("Please enter a valid email address. A single address is expected, such as name@example.com.",
                              response.text)
        self.assertEqual(self._team_tickets(), tickets, "nothing created")
        self.assertEqual(self.env['res.partner'].search_count([]), partners, "no contact created (no '@c')")
        self.assertEqual(self._post(partner_email='Victor.Visitor+scanner@visitor.example.com').status_code, 200)
        self.assertEqual((self._team_tickets() - tickets).partner_email, 'Victor.Visitor+scanner@visitor.example.com')

    def test_plus_addressing_counts_as_one_address(self):
        self.env['ir.config_parameter'].set_param('helpdesk_sla.form_rate_limit', '2')
        self.authenticate(None, None)
        self.assertEqual(self._post(partner_email='victor+1@visitor.example.com').status_code, 200)
        self.assertEqual(self._post(partner_email='victor@visitor.example.com').status_code, 200)
        tickets = self._team_tickets()
        for address in ('victor+2@visitor.example.com', 'VICTOR+x+y@visitor.example.com', 'victor@visitor.example.com'):
            with self.subTest(address=address):
                response = self._post(partner_email=address)
                self.assertEqual(response.status_code, 429)
                self.assertIn("You have already submitted several tickets", response.text)
        self.assertEqual(self._team_tickets(), tickets)
        self.assertEqual(self._post(partner_email='victoria+1@visitor.example.com').status_code, 200,
                         "another mailbox is not limited")

    def test_rate_limit_per_ip(self):
        self.env['ir.config_parameter'].set_param('helpdesk_sla.form_rate_limit_ip', '3')
        self.authenticate(None, None)
        for index in range(3):
            response = self._post(partner_email=f'bot{index}@spam{index}.example.com')
            self.assertEqual(response.status_code, 200, index)
        tickets = self._team_tickets()
        response = self._post(partner_email='bot9@spam9.example.com')
        self.assertEqual(response.status_code, 429)
        self.assertIn("You have already submitted several tickets", response.text)
        self.assertEqual(self._team_tickets(), tickets)
        keys = set(tickets.mapped('form_submitter_key')) - {False}
        self.assertEqual(len(keys), 1, "one key per client address")
        self.assertNotIn('127.0.0.1', keys.pop(), "the IP address itself is not stored")
        # a logged-in customer from the same address is limited too; another hour frees the address
        self.authenticate(self.portal_anna.login, self.portal_anna.login)
        self.assertEqual(self._post().status_code, 429)
        self.env.cr.execute("UPDATE helpdesk_ticket SET create_date = create_date - interval '2 hours' WHERE id IN %s",
                            [tuple(tickets.ids)])
        self.assertEqual(self._post().status_code, 200)
