from odoo import http
from odoo.tests import HttpCase, new_test_user

from .common import HelpdeskCommon


class HelpdeskPortalCommon(HelpdeskCommon, HttpCase):
    """The common team opened to the portal, and its customers:

    * Anna, portal user, contact of the company Acme;
    * Ben, portal user of another company;
    * Clara, contact of Acme without a user (a colleague of Anna);
    * Carla (``customer`` of the common data), contact without a user.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.privacy_visibility = 'portal'
        Partner = cls.env['res.partner']
        cls.acme = Partner.create({'name': "Acme Corp", 'is_company': True, 'email': 'info@acme.example.com'})
        cls.portal_anna = new_test_user(
            cls.env, login='hd_portal_anna', name="Anna Portal", email='anna@acme.example.com',
            groups='base.group_portal')
        cls.portal_anna.partner_id.parent_id = cls.acme
        cls.portal_ben = new_test_user(
            cls.env, login='hd_portal_ben', name="Ben Portal", email='ben@globex.example.com',
            groups='base.group_portal')
        cls.clara = Partner.create({'name': "Clara Colleague", 'email': 'clara@acme.example.com',
                                    'parent_id': cls.acme.id})

        cls.ticket_anna = cls._create_ticket(
            name="Anna cannot print invoices", partner_id=cls.portal_anna.partner_id.id,
            user_id=cls.agent.id, priority='2')
        cls.ticket_ben = cls._create_ticket(
            name="Ben secret payroll question", partner_id=cls.portal_ben.partner_id.id)
        cls.ticket_clara = cls._create_ticket(
            name="Clara badge reader broken", partner_id=cls.clara.id)
        cls.ticket_carla = cls._create_ticket(name="Carla lost her password")

    def _csrf(self):
        return http.Request.csrf_token(self)
