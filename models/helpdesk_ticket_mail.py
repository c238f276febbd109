import logging
import re

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import ConcurrencyError
from odoo.fields import Domain
from odoo.tools import SQL
from odoo.tools.mail import (
    decode_message_header,
    email_normalize,
    email_split_and_format,
    parse_contact_from_email,
    unfold_references,
)

from ..core import is_automated_email
from ..core.mail_identity import (
    TRUSTED_STATUSES,
    fallback_message_id,
    neutralise_addresses,
    normalize_message_id,
    parse_sender,
    received_time,
)

# a ticket reference quoted in an email subject: "Re: Printer on fire (#00042)", "[#00042]"
TICKET_REF_PATTERN = re.compile(r'#([\w/.-]+)')

_logger = logging.getLogger(__name__)

# what the gateway learnt about the emails of the current transaction (see ``_gateway_learn``)
GATEWAY_FACTS = 'helpdesk_sla.gateway_facts'
# first key of the advisory lock taken on the Message-Id of an email creating a ticket
INTAKE_LOCK_NAMESPACE = 0x48445341


class HelpdeskTicket(models.Model):
    """The ticket's mail: tracking subtypes, the mail gateway (email to ticket, replies,
    routing), what a public message does to the ticket, and the emails its stages send."""

    _inherit = 'helpdesk.ticket'

    intake_message_id = fields.Char(
        string="Intake Message-Id", readonly=True, copy=False, groups='base.group_user',
        help="Message-Id of the email that created the ticket (normalised; made up from the "
             "email's content when it had none): the same email never makes two tickets.")

    _intake_message_id_unique = models.UniqueIndex('(intake_message_id) WHERE intake_message_id IS NOT NULL')

    # ------------------------------------------------------------
    # MAIL
    # ------------------------------------------------------------

    def _track_subtype(self, initial_values):
        self.ensure_one()
        if 'stage_id' in initial_values:
            return self.env.ref('helpdesk_sla.mt_ticket_stage')
        return super()._track_subtype(initial_values)

    def _creation_subtype(self):
        """Post (and notify) the creation where a team follower listens to new tickets; otherwise
        the creation is logged in one batch, which is much cheaper for bulk intake."""
        xmlid_to_id = self.env['ir.model.data']._xmlid_to_res_id
        team_subtype_id = xmlid_to_id('helpdesk_sla.mt_team_ticket_new')
        if team_subtype_id in self.team_id.message_follower_ids.subtype_ids.ids:
            return self.env['mail.message.subtype'].browse(xmlid_to_id('helpdesk_sla.mt_ticket_new'))
        return super()._creation_subtype()

    def _message_post_after_hook(self, message, msg_vals):
        """Public replies drive the response SLAs: an agent's reaches them, a customer's opens a
        window (and brings a ticket waiting on the customer back to work).

        What a message counts as is decided by ``_message_sla_role``; the time it counts at is
        when it was received (now), clamped to the ticket's life, never the sender's ``Date``."""
        result = super()._message_post_after_hook(message, msg_vals)
        role = self._message_sla_role(message)
        if role:
            now = fields.Datetime.now()
            when = received_time(now, self.create_date, now)
            if role == 'agent':
                self._sla_on_agent_reply(when)
            else:
                self._resume_on_customer_reply()
                self._sla_on_customer_message(when)
        return result

    def _message_sla_role(self, message):
        """``'agent'``, ``'customer'`` or ``False`` (the message moves no clock, no stage):

        * only public messages (comments, emails) count; the system (OdooBot) never does,
          nor does automated mail (auto-replies, bulk: recorded, nothing more);
        * an internal user's message is an agent reply; when it came by email, only if that
          email answers this ticket's own thread (a From address proves nothing);
        * anyone else's is a customer message."""
        self.ensure_one()
        if message.message_type not in ('comment', 'email') or message.subtype_id != self.env.ref('mail.mt_comment'):
            return False
        author = message.author_id
        if author == self.env.ref('base.partner_root'):
            return False
        facts = self._gateway_facts(message.message_id) if message.message_type == 'email' else {}
        if facts.get('automated'):
            return False
        author_users = author.with_context(active_test=False).user_ids
        if author_users and not all(author_users.mapped('share')):
            if message.message_type == 'email' and self.id not in facts.get('answers', ()):
                return False
            return 'agent'
        if author or message.email_from:
            return 'customer'
        return False

    def _resume_on_customer_reply(self):
        """The customer answered tickets waiting on them: back to work, in the team's reply stage
        (see ``helpdesk.team._get_reply_stage``); their SLA lines resume with the stage change."""
        waiting = self.sudo().filtered(lambda ticket: not ticket.is_closed
                                       and ticket.stage_id in ticket.team_id._get_waiting_stages())
        for stage, tickets in waiting.grouped(lambda ticket: ticket.team_id._get_reply_stage()).items():
            if stage:
                tickets.filtered(lambda ticket, stage=stage: ticket.stage_id != stage
                                 )._as_automation().write({'stage_id': stage.id})


    # ------------------------------------------------------------
    # MAIL GATEWAY
    # ------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A ticket from an email to a team alias: subject as title, body as description.

        The sender (the real address of the From header, see ``_gateway_learn``) is the
        customer: their contact when one has that email (case-insensitive) and is no
        internal user's, else a new contact (name and email) for a person's email, so agent
        replies reach them. An internal user's address proves nothing by email, and an
        automated or unverified sender gets no contact: their name and email stay on the
        ticket. The email's Message-Id is kept, unique, so it never makes two tickets."""
        values = dict(custom_values or {})
        values.setdefault('name', (msg_dict.get('subject') or '').strip() or self.env._("No Subject"))
        values.setdefault('channel', 'email')
        if msg_dict.get('body'):
            values.setdefault('description', msg_dict['body'])
        facts = self._gateway_facts(msg_dict.get('message_id'))
        values.setdefault('intake_message_id', normalize_message_id(msg_dict.get('message_id')))
        email_from = msg_dict.get('email_from') or ''
        partner = self._mail_find_customer(msg_dict, facts)
        if partner:
            values.setdefault('partner_id', partner.id)
        elif 'partner_id' not in values:
            name, email = parse_contact_from_email(email_from)
            values.setdefault('partner_name', (name or email or '').strip().strip('"').strip() or False)
            values.setdefault('partner_email', email_normalize(email) or False)
        # the base implementation copies the raw sender into the primary email field
        sender = values.get('partner_email') if not values.get('partner_id') else False
        ticket = super(HelpdeskTicket, self.with_context(default_user_id=False)).message_new(
            dict(msg_dict, email_from=sender), custom_values=values)
        if facts.get('trusted') and not facts.get('automated'):
            ticket._subscribe_cc_followers(msg_dict)
        return ticket

    @api.model
    def _mail_find_customer(self, msg_dict, facts):
        """The contact an email to the desk is from (created when needed), or an empty
        recordset: never an internal user's contact, nothing for automated mail or an
        unverified sender (see ``message_new``)."""
        Partner = self.env['res.partner']
        email = email_normalize(msg_dict.get('email_from') or '')
        if not email or not facts.get('trusted', True):
            return Partner
        partner = Partner.browse(msg_dict.get('author_id')).exists()
        if not partner:
            partner = self._partner_find_from_emails_single([msg_dict['email_from']], no_create=True)[:1]
        if partner:
            users = partner.with_context(active_test=False).user_ids
            return Partner if users and not all(users.mapped('share')) else partner
        if facts.get('automated') or Partner.with_context(active_test=False).search_count(
                [('email_normalized', '=', email), ('user_ids', '!=', False)], limit=1):
            return Partner
        return self._partner_find_from_emails_single([msg_dict['email_from']])[:1]

    def message_update(self, msg_dict, update_vals=None):
        facts = self._gateway_facts(msg_dict.get('message_id'))
        if not facts.get('automated'):
            self._subscribe_cc_followers(msg_dict, check_author=True)
        return super().message_update(msg_dict, update_vals=update_vals)

    def _subscribe_cc_followers(self, msg_dict, check_author=False):
        """Addresses in CC (our aliases aside) follow the tickets of teams allowing it;
        a contact is created for an address without one.

        ``check_author``: only for the tickets whose customer or follower wrote the email,
        or an agent answering the ticket's own thread (``_mail_may_add_followers``): a
        stranger quoting a ticket's Message-Id gets nobody in."""
        tickets = self.filtered(lambda ticket: ticket.team_id.allow_cc_followers)
        emails = [email for email in email_split_and_format(msg_dict.get('cc') or '') if email_normalize(email)]
        if not tickets or not emails:
            return
        if check_author:
            tickets = tickets.filtered(lambda ticket: ticket._mail_may_add_followers(msg_dict))
        for ticket in tickets:
            partners = ticket._partner_find_from_emails_single(emails)
            ticket.message_subscribe(partner_ids=partners.ids)

    def _mail_may_add_followers(self, msg_dict):
        """Whether the author of an incoming email may bring people in: the ticket's
        customer, one of its followers, or an internal user whose email answers this
        ticket's thread. An unverified sender (see ``_gateway_learn``) never may."""
        self.ensure_one()
        facts = self._gateway_facts(msg_dict.get('message_id'))
        if not facts.get('trusted'):
            return False
        email = email_normalize(msg_dict.get('email_from') or '')
        author = self.env['res.partner'].browse(msg_dict.get('author_id')).exists()
        if email and email in self._get_known_emails():
            return True
        if author and (author == self.partner_id or author in self.message_partner_ids):
            return True
        users = author.user_ids
        return bool(users) and not all(users.mapped('share')) and self.id in facts.get('answers', ())

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        """Emails to a team alias or answering a ticket:

        * the sender is established first (``_gateway_learn``): the real address of a
          single From mailbox; a mail from an unverified sender (several From addresses, a
          display name quoting another address, no address) reaches an existing ticket only
          if its real address is the ticket's customer's or a follower's, otherwise it is
          handled as a new email to the alias;
        * an email without Message-Id gets one made from its content: delivered again, it
          is recognised and dropped;
        * a ticket reference in the subject (``#00042``) sends the email to that ticket
          when the sender is its customer or one of its followers;
        * an automated email (auto-reply, bulk, see ``is_automated_email``) never creates a
          ticket: it goes to the sender's latest open ticket of the team, or is dropped
          with a logged reason;
        * an email about to create a ticket claims its Message-Id (``_routing_claim_intake``)
          so that two deliveries at once make one ticket."""
        model, thread_id, custom_values, _user_id, alias = route
        if model != self._name:
            return super()._routing_check_route(message, message_dict, route, raise_exception=raise_exception)
        facts = self._gateway_learn(message, message_dict)
        if facts['rewritten']:
            user_id = self._mail_find_user_for_gateway(message_dict['email_from'], alias=alias).id or self.env.uid
            route = (model, thread_id, custom_values, user_id, alias)
        if facts['made_up_id'] and self.env['mail.message'].sudo().search_count(
                [('message_id', '=', message_dict['message_id'])], limit=1):
            _logger.info("Routing mail from %s to %s without Message-Id: already received (as %s), ignored",
                         message_dict.get('email_from'), message_dict.get('to'), message_dict['message_id'])
            return False
        if thread_id and not facts['trusted']:
            ticket = self.browse(thread_id).exists()
            if ticket and facts['identity'].email not in ticket._get_known_emails():
                _logger.info(
                    "Routing mail from %s with Message-Id %s: unverified sender (%s), not posted on ticket %s",
                    message_dict.get('email_from'), message_dict.get('message_id'), facts['identity'].status,
                    ticket.ticket_ref)
                return ()
        if not thread_id:
            ticket = self._routing_find_referenced_ticket(message_dict)
            if not ticket and facts['automated']:
                ticket = self._routing_find_open_ticket_of_sender(message_dict, custom_values)
                if not ticket:
                    _logger.info(
                        "Routing mail from %s to %s with Message-Id %s: automated email (auto-reply or bulk) "
                        "not turned into a ticket, the sender has no open ticket",
                        message_dict.get('email_from'), message_dict.get('to'), message_dict.get('message_id'))
                    return False
            if ticket:
                _logger.info(
                    "Routing mail from %s with Message-Id %s: sent to ticket %s",
                    message_dict.get('email_from'), message_dict.get('message_id'), ticket.ticket_ref)
                route = (model, ticket.id, *route[2:])
            else:
                self._routing_claim_intake(message_dict)
        return super()._routing_check_route(message, message_dict, route, raise_exception=raise_exception)

    # ------------------------------------------------------------
    # MAIL IDENTITY AND INTAKE
    # ------------------------------------------------------------

    @api.model
    def _gateway_learn(self, message, message_dict):
        """Establish, once per incoming email, what the gateway may trust about it, and
        remember it for the transaction (``_gateway_facts``):

        * ``identity``: the From header parsed by ``core.mail_identity.parse_sender``, and
          ``trusted``: a single mailbox whose display name quotes no other address. An
          untrusted From is rewritten in ``message_dict`` before anything matches a contact
          on it: the real address for a spoofed display name, an address-free text for
          several senders (``rewritten``);
        * ``message_id``: the email's, or one made from its content (``made_up_id``);
        * ``automated``: ``core.is_automated_email`` on its headers;
        * ``answers``: the tickets whose messages it answers (In-Reply-To/References)."""
        cache = self.env.cr.cache.setdefault(GATEWAY_FACTS, {})
        known = cache.get(id(message))
        if known and known[0] is message:
            return known[1]
        # the raw header: once parsed, ``customer@x <attacker@y>`` reads as ``customer@x``
        raw_froms = [str(value) for name, value in message.raw_items() if name.lower() == 'from']
        identity = parse_sender(raw_froms)
        facts = {'identity': identity, 'trusted': identity.status in TRUSTED_STATUSES,
                 'automated': is_automated_email(message), 'rewritten': False, 'made_up_id': False}
        email_from = message_dict.get('email_from') or ''
        if identity.status == 'spoofed':
            email_from = identity.email
        elif not facts['trusted'] and '@' in ' '.join(raw_froms):
            email_from = self.env._("Unverified sender: %s",
                                    neutralise_addresses(decode_message_header(message, 'From', separator=',')))
        if email_from != (message_dict.get('email_from') or ''):
            facts['rewritten'] = True
            message_dict['email_from'] = message_dict['from'] = email_from
            message_dict.pop('author_id', None)
        raw_from = ', '.join(raw_froms)
        if not (message.get('Message-Id') or '').strip():
            message_dict['message_id'] = fallback_message_id(
                # Odoo builds ``to`` from a set: sorted, so that every worker hashes the same text
                identity.email or raw_from, ','.join(sorted((message_dict.get('to') or '').split(','))),
                message_dict.get('subject'),
                message.get('Date') or '', message_dict.get('body') or '', received=fields.Datetime.now())
            facts['made_up_id'] = True
        references = unfold_references(message_dict.get('references') or '') + [message_dict.get('in_reply_to') or '']
        references = [ref.strip() for ref in references if ref and ref.strip()][-32:]
        answered = self.env['mail.message'].sudo().search_fetch(
            [('message_id', 'in', references), ('model', '=', self._name)], ['res_id']) if references else []
        facts['answers'] = frozenset(answered.mapped('res_id')) if answered else frozenset()
        facts['message_id'] = message_dict['message_id']
        cache[id(message)] = (message, facts)
        cache[message_dict['message_id']] = facts
        return facts

    @api.model
    def _gateway_facts(self, message_id):
        """What ``_gateway_learn`` established about the incoming email ``message_id`` in
        this transaction (an empty dict for anything that did not come through it)."""
        return self.env.cr.cache.get(GATEWAY_FACTS, {}).get(message_id) or {}

    @api.model
    def _routing_claim_intake(self, message_dict):
        """Claim the Message-Id of an email about to create a ticket, so two deliveries of
        it at the same moment (an MTA retrying after a timeout, two fetchers on a mailbox)
        make one ticket.

        The duplicate check of the gateway reads a snapshot, blind to a twin delivery not
        committed yet; so: a transaction-level advisory lock on the Message-Id makes the
        twins take turns, then a fresh snapshot looks for the ticket the other one made. If
        there is one, a ``ConcurrencyError`` rolls this delivery back before anything is
        written (and before ``message_new``, whose failures bounce): Odoo retries it, and the
        retry finds the duplicate and drops it. The unique index on ``intake_message_id``
        stays the last word."""
        key = normalize_message_id(message_dict.get('message_id'))
        if not key:
            return
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", INTAKE_LOCK_NAMESPACE, key))
        with self.env.registry.cursor() as fresh_cr:
            fresh_cr.execute(SQL(
                "SELECT 1 FROM helpdesk_ticket WHERE intake_message_id = %s LIMIT 1", key))
            taken = bool(fresh_cr.fetchone())
        if taken:
            _logger.info("Routing mail from %s with Message-Id %s: delivered twice at once, this delivery waits "
                         "for the other one and is retried", message_dict.get('email_from'), key)
            raise ConcurrencyError(f"Message-Id {key} is being turned into a ticket by another delivery")

    @api.model
    def _detect_loop_sender_domain(self, email_from_normalized):
        """Tickets recently created by the same sender (exact address, any case); none to
        count without a valid address, rather than every ticket lacking one."""
        if not email_from_normalized:
            return []
        return [('partner_email', '=ilike', email_from_normalized)]

    @api.model
    def _routing_find_referenced_ticket(self, message_dict):
        """The ticket whose reference the subject quotes (followed to the ticket it was
        merged into), if the sender is its customer or a follower."""
        refs = {ref.rstrip('./-') for ref in TICKET_REF_PATTERN.findall(message_dict.get('subject') or '')}
        sender = email_normalize(message_dict.get('email_from') or '')
        if not refs or not sender:
            return self.browse()
        for ticket in self.with_context(active_test=False).search([('ticket_ref', 'in', list(refs))]):
            hops = 0
            while ticket.merged_into_id and not ticket.active and hops < 10:
                ticket, hops = ticket.merged_into_id, hops + 1
            if ticket.active and sender in ticket._get_known_emails():
                return ticket.with_context(active_test=True)
        return self.browse()

    def _get_known_emails(self):
        """Normalized emails of the ticket's customer and followers."""
        self.ensure_one()
        emails = {email_normalize(self.partner_email or ''), self.partner_id.email_normalized}
        emails.update(self.message_partner_ids.mapped('email_normalized'))
        return emails - {False, None, ''}

    @api.model
    def _routing_find_open_ticket_of_sender(self, message_dict, custom_values):
        """The latest open ticket of the sender, in the alias's team when it has one."""
        sender = email_normalize(message_dict.get('email_from') or '')
        if not sender:
            return self.browse()
        domain = Domain('is_closed', '=', False) & (
            Domain('partner_email', '=ilike', sender) | Domain('partner_id.email_normalized', '=', sender))
        team_id = (custom_values or {}).get('team_id')
        if team_id:
            domain &= Domain('team_id', '=', team_id)
        return self.search(domain, order='id desc', limit=1)

    def _notify_get_reply_to(self, default=None, author_id=False):
        """Replies to ticket emails go to the team's alias when it has one."""
        with_alias = self.filtered(lambda ticket: ticket.team_id.sudo().alias_email)
        result = {}
        if with_alias:
            team_reply_to = with_alias.team_id.sudo()._notify_get_reply_to(default=default, author_id=author_id)
            result = {ticket.id: team_reply_to[ticket.team_id.id] for ticket in with_alias}
        others = self - with_alias
        if others or not self:
            result.update(super(HelpdeskTicket, others)._notify_get_reply_to(default=default, author_id=author_id))
        return result

    # ------------------------------------------------------------
    # STAGE EMAILS AND RATINGS
    # ------------------------------------------------------------

    def _as_automation(self):
        """``self`` in sudo for automated messages and activities, acting as OdooBot when
        the current user is no employee (a customer on the portal or a rating page), so
        those are not authored by the customer."""
        if self.env.user._is_internal():
            return self.sudo()
        return self.with_user(SUPERUSER_ID).sudo()

    def _send_stage_emails(self):
        """Send what the stage each ticket just reached sends to its customer: the stage's
        email template and, for teams with Customer Ratings on, its rating request."""
        tickets = self._as_automation()
        with_template = tickets.filtered(lambda ticket: ticket.stage_id.template_id)
        for template, batch in with_template.grouped(lambda ticket: ticket.stage_id.template_id).items():
            batch.message_post_with_source(
                template,
                message_type='auto_comment',
                subtype_xmlid='mail.mt_note',
                email_layout_xmlid='mail.mail_notification_light',
                notify_author_mention=True,
                force_send=False,
            )
        to_rate = tickets.filtered(
            lambda ticket: ticket.team_id.use_rating and ticket.stage_id.rating_template_id
            and ticket._rating_get_partner())
        for template, batch in to_rate.grouped(lambda ticket: ticket.stage_id.rating_template_id).items():
            batch.rating_send_request(template, force_send=False)
