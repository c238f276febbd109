import shutil
import unittest

from markupsafe import Markup

from odoo.fields import Command
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged
from odoo.tests import common as odoo_test_common
from odoo.tests.common import JsonRpcException

from .test_tour import CHROME_NAMES

COMMAND_ROUTE = '/web/dataset/call_kw/discuss.channel/execute_command_ticket'


@tagged('post_install', '-at_install')
class TestTicketCommand(HttpCase):
    """``/ticket <subject>`` in a Discuss conversation, through the RPC the composer
    makes (``orm.call('discuss.channel', 'execute_command_ticket', [[id]], {body})``)
    and through the composer itself in a tour."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_new = cls.env['helpdesk.stage'].create({'name': "Chat New", 'sequence': 1})
        cls.agent = new_test_user(
            cls.env, login='chat_agent', name="Chat Agent", email='chat.agent@example.com',
            groups='helpdesk_sla.group_helpdesk_user', tz='Europe/Brussels')
        cls.employee = new_test_user(
            cls.env, login='chat_employee', name="Chat Employee", email='chat.employee@example.com',
            groups='base.group_user')
        cls.portal_user = new_test_user(
            cls.env, login='chat_portal', name="Paula <b>Portal</b>", email='paula@customer.example.com',
            groups='base.group_portal')
        cls.team = cls.env['helpdesk.team'].create({
            'name': "Chat Desk",
            'member_ids': [Command.set(cls.agent.ids)],
            'stage_ids': [Command.set(cls.stage_new.ids)],
            'privacy_visibility': 'internal',
        })
        cls.channel = cls.env['discuss.channel'].create({
            'name': "Customer corner",
            'channel_type': 'group',
        })
        cls.channel._add_members(partners=cls.agent.partner_id | cls.employee.partner_id | cls.portal_user.partner_id)
        with freeze_time('2026-03-02 09:00:00'):
            cls.channel.with_user(cls.portal_user).message_post(
                body=Markup("<p>My printer prints &lt;script&gt;alert(1)&lt;/script&gt; on every page</p>"),
                message_type='comment', subtype_xmlid='mail.mt_comment')
        with freeze_time('2026-03-02 09:05:00'):
            cls.channel.with_user(cls.agent).message_post(
                body=Markup("<p>Which model is it?</p>"), message_type='comment', subtype_xmlid='mail.mt_comment')

    def _run_command(self, login, body):
        self.authenticate(login, login)
        return self.make_jsonrpc_request(COMMAND_ROUTE, {
            'model': 'discuss.channel',
            'method': 'execute_command_ticket',
            'args': [[self.channel.id]],
            'kwargs': {'body': body},
        })

    def test_command_creates_ticket(self):
        ticket_id = self._run_command('chat_agent', "/ticket Printer prints garbage")
        ticket = self.env['helpdesk.ticket'].browse(ticket_id)
        self.assertRecordValues(ticket, [{
            'name': "Printer prints garbage",
            'partner_id': self.portal_user.partner_id.id,
            'user_id': self.agent.id,
            'team_id': self.team.id,
            'channel': 'chat',
            'origin_channel_id': self.channel.id,
        }])
        self.assertEqual(self.channel.helpdesk_ticket_ids, ticket)
        description = str(ticket.description)
        # authors and times (the agent's time zone: Brussels is UTC+1 in March), text escaped
        self.assertIn("Paula &lt;b&gt;Portal&lt;/b&gt;", description)
        self.assertIn("Chat Agent", description)
        self.assertIn("10:00", description)
        self.assertIn("10:05", description)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", description)
        self.assertNotIn("<script", description)
        self.assertNotIn("<b>Portal", description)
        self.assertLess(description.index("My printer prints"), description.index("Which model is it?"))
        # the link back, posted in the conversation
        notice = self.channel.message_ids.filtered(lambda message: message.message_type == 'notification')[:1]
        self.assertIn("created from this conversation", str(notice.body))
        self.assertIn(f'data-oe-model="helpdesk.ticket" data-oe-id="{ticket.id}"', str(notice.body).replace("'", '"'))

    def test_command_subject_defaults_to_first_line(self):
        ticket = self.env['helpdesk.ticket'].browse(self._run_command('chat_agent', "/ticket"))
        self.assertEqual(ticket.name, "My printer prints <script>alert(1)</script> on every page")

    def test_command_agents_only(self):
        for login in ('chat_employee', 'chat_portal'):
            with self.subTest(login=login), self.assertRaises(JsonRpcException), \
                    self.assertLogs('odoo.http', level='WARNING'):
                self._run_command(login, "/ticket Not for you")
        self.assertFalse(self.env['helpdesk.ticket'].search([('origin_channel_id', '=', self.channel.id)]))

    def test_command_in_composer_tour(self):
        """The agent types ``/ticket ...`` in the Discuss composer and sends it."""
        if odoo_test_common.websocket is None:
            raise unittest.SkipTest("websocket-client is not installed: tours skipped")
        if not any(shutil.which(name) for name in CHROME_NAMES):
            raise unittest.SkipTest("no Chrome or Chromium found: tours skipped")
        self.start_tour(f'/odoo/discuss?active_id=discuss.channel_{self.channel.id}',
                        'helpdesk_sla_ticket_command_tour', login='chat_agent', timeout=180)
        ticket = self.env['helpdesk.ticket'].search([('origin_channel_id', '=', self.channel.id)])
        self.assertEqual(ticket.name, "Printer jams on page two")
        self.assertFalse(self.channel.message_ids.filtered(lambda message: '/ticket' in str(message.body)),
                         "the command is executed, never posted as a message")
