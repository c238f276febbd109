from datetime import timedelta
from urllib.parse import urlencode

from odoo import SUPERUSER_ID, fields, http
from odoo.fields import Domain
from odoo.http import request
from odoo.tools import email_normalize, plaintext2html
from odoo.tools.misc import hmac
from odoo.tools.sql import escape_psql

from ..core.address import is_single_address, strip_subaddress

# Defaults of the ir.config_parameter keys that tune the form
DEFAULT_MAX_ATTACHMENT_MB = 10
DEFAULT_RATE_LIMIT = 5  # tickets per email address and hour
DEFAULT_IP_RATE_LIMIT = 20  # tickets per client IP address and hour (offices share one address)
MAX_ATTACHMENTS = 10
MAX_NAME_LENGTH = 128
MAX_SUBJECT_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 20000
HONEYPOT_FIELD = 'company_website'


class HelpdeskTicketForm(http.Controller):
    """The web form of a team: ``GET`` renders it, ``POST`` creates the ticket.

    Logged-in users submit as themselves; visitors with no account only on teams
    open to visitors. Input is validated before anything is written, then the
    ticket goes through the ordinary ``create`` (assignment, SLA) in sudo.
    """

    def _form_readonly(self, rule, args):
        """Showing the form only reads (a replica may serve it); submitting it writes."""
        return request.httprequest.method in ('GET', 'HEAD')

    @http.route('/helpdesk/<int:team_id>/submit', type='http', auth='public', methods=['GET', 'POST'],
                website=True, sitemap=False, readonly=_form_readonly)
    def helpdesk_ticket_form(self, team_id, **post):
        team = self._form_get_team(team_id)
        if not team:
            return request.not_found()
        if request.env.user._is_public() and not team.allow_public_form:
            return request.redirect('/web/login?' + urlencode({'redirect': f'/helpdesk/{team.id}/submit'}))
        if request.httprequest.method != 'POST':
            return self._form_render(team)
        values, error, status = self._form_validate(team, post)
        if error:
            return self._form_render(team, values, error, status)
        ticket = self._form_create_ticket(team, values)
        self._form_record_submitter(ticket)
        return request.render('helpdesk_sla.helpdesk_ticket_form_done', {
            'team': team,
            'ticket': ticket,
            'ticket_url': ticket.access_url if ticket.with_user(request.env.user).has_access('read') else False,
        })

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _form_get_team(self, team_id):
        team = request.env['helpdesk.team'].sudo().browse(team_id).exists()
        if not (team and team.active and team.use_website_form):
            return None
        return team

    def _form_max_attachment_size(self):
        """Maximum size of one attachment in bytes (``helpdesk_sla.form_max_attachment_mb``)."""
        param = request.env['ir.config_parameter'].sudo().get_param('helpdesk_sla.form_max_attachment_mb')
        try:
            megabytes = float(param) if param else DEFAULT_MAX_ATTACHMENT_MB
        except ValueError:
            megabytes = DEFAULT_MAX_ATTACHMENT_MB
        return int(megabytes * 1024 * 1024)

    def _form_rate_limit(self, key='helpdesk_sla.form_rate_limit', default=DEFAULT_RATE_LIMIT):
        """Most tickets one email address (``helpdesk_sla.form_rate_limit``) or one IP address
        (``helpdesk_sla.form_rate_limit_ip``) may submit per hour; 0 or less: no limit."""
        param = request.env['ir.config_parameter'].sudo().get_param(key)
        try:
            return int(param) if param else default
        except ValueError:
            return default

    def _form_render(self, team, values=None, error=None, status=200):
        user = request.env.user
        Ticket = request.env['helpdesk.ticket']
        return request.render('helpdesk_sla.helpdesk_ticket_form', {
            'team': team,
            'is_public_user': user._is_public(),
            'user_partner': user.partner_id if not user._is_public() else False,
            'values': values or {},
            'error': error,
            'priorities': Ticket._fields['priority']._description_selection(request.env)
            if team.allow_form_priority else [],
            'max_attachment_mb': round(self._form_max_attachment_size() / (1024 * 1024), 1),
            'max_attachments': MAX_ATTACHMENTS,
            'honeypot_field': HONEYPOT_FIELD,
        }, status=status)

    def _form_validate(self, team, post):
        """Check the submitted form; return ``(values, error, status)`` where ``error`` is a
        translated message (``None`` when the submission is acceptable)."""
        _ = request.env._
        user = request.env.user
        values = {
            'partner_name': (post.get('partner_name') or '').strip(),
            'partner_email': (post.get('partner_email') or '').strip(),
            'name': (post.get('name') or '').strip(),
            'description': (post.get('description') or '').strip(),
            'priority': post.get('priority') or '0',
        }
        if post.get(HONEYPOT_FIELD):
            return values, _("Your request could not be submitted."), 400
        partner = user.partner_id if not user._is_public() else request.env['res.partner']
        if partner:
            values['partner_name'] = partner.name
            values['partner_email'] = partner.email or values['partner_email']
        if not values['partner_name']:
            return values, _("Please enter your name."), 400
        if len(values['partner_name']) > MAX_NAME_LENGTH:
            return values, _("Your name is too long."), 400
        if not values['partner_email']:
            return values, _("Please enter your email address."), 400
        email = email_normalize(values['partner_email'])
        typed = not (partner and partner.email)
        if not email or (typed and not is_single_address(values['partner_email'])):
            return values, _(
                "Please enter a valid email address. A single address is expected, such as name@example.com."), 400
        if not values['name']:
            return values, _("Please enter a subject."), 400
        if len(values['name']) > MAX_SUBJECT_LENGTH:
            return values, _("The subject is too long (%s characters at most).", MAX_SUBJECT_LENGTH), 400
        if not values['description']:
            return values, _("Please describe your request."), 400
        if len(values['description']) > MAX_DESCRIPTION_LENGTH:
            return values, _("The description is too long (%s characters at most).", MAX_DESCRIPTION_LENGTH), 400
        priorities = dict(request.env['helpdesk.ticket']._fields['priority']._description_selection(request.env))
        if not team.allow_form_priority or values['priority'] not in priorities:
            values['priority'] = '0'

        files = [storage for storage in request.httprequest.files.getlist('attachments') if storage.filename]
        if len(files) > MAX_ATTACHMENTS:
            return values, _("You can attach at most %s files.", MAX_ATTACHMENTS), 400
        max_size = self._form_max_attachment_size()
        attachments = []
        for storage in files:
            content = storage.read(max_size + 1)
            if len(content) > max_size:
                return values, _(
                    "The file %(name)s is too large: files up to %(size)s MB are accepted.",
                    name=storage.filename, size=round(max_size / (1024 * 1024), 1)), 400
            attachments.append((storage.filename, content))

        if not partner:
            partner = self._form_find_partner(email)
        if self._form_is_rate_limited(email, partner):
            return values, _(
                "You have already submitted several tickets in the last hour. "
                "Please wait a while before sending another one."), 429
        values.update(partner=partner, email_normalized=email, attachments=attachments)
        return values, None, 200

    def _form_find_partner(self, email):
        """The contact with that email (whatever its case), or an empty recordset; never
        the contact of a user (agent or portal customer): a visitor typing someone's
        address does not become that person."""
        return request.env['res.partner'].sudo().with_context(active_test=False).search(
            [('email_normalized', '=', email), ('user_ids', '=', False), ('active', '=', True)],
            order='id', limit=1)

    def _form_email_has_user(self, email):
        """Whether a user's contact has that email (then the form creates no new contact)."""
        return bool(request.env['res.partner'].sudo().with_context(active_test=False).search_count(
            [('email_normalized', '=', email), ('user_ids', '!=', False)], limit=1))

    def _form_is_rate_limited(self, email, partner):
        """Whether the address, or the client's IP address, already sent as many tickets in
        the last hour as allowed.

        Per address, counted from the tickets themselves whatever channel created them, with
        every ``+tag`` variant of the mailbox counted as the same address. Per IP address,
        counted from the tickets the web form created from it."""
        since = Domain('create_date', '>=', fields.Datetime.now() - timedelta(hours=1))
        Ticket = request.env['helpdesk.ticket'].sudo().with_context(active_test=False)
        limit = self._form_rate_limit()
        if limit > 0:
            local, _at, host = strip_subaddress(email).rpartition('@')
            sender = (Domain('partner_email', '=ilike', escape_psql(f'{local}@{host}'))
                      | Domain('partner_email', '=ilike', f'{escape_psql(local)}+%@{escape_psql(host)}'))
            if partner:
                sender |= Domain('partner_id', '=', partner.id)
            if Ticket.search_count(since & sender, limit=limit) >= limit:
                return True
        ip_limit = self._form_rate_limit('helpdesk_sla.form_rate_limit_ip', DEFAULT_IP_RATE_LIMIT)
        key = self._form_submitter_key()
        if ip_limit > 0 and key:
            return Ticket.search_count(since & Domain('form_submitter_key', '=', key), limit=ip_limit) >= ip_limit
        return False

    def _form_submitter_key(self):
        """A keyed hash of the client's IP address (``False`` when unknown): what the form
        keeps to count submissions per IP without storing the address."""
        address = request.httprequest.remote_addr
        return address and hmac(request.env(su=True), 'helpdesk_sla.form_submitter', address)

    def _form_record_submitter(self, ticket):
        key = self._form_submitter_key()
        if key:
            ticket.sudo().form_submitter_key = key

    def _form_create_ticket(self, team, values):
        """Create the ticket (and the contact if it is new) from validated ``values``."""
        partner = values['partner']
        if not partner and not self._form_email_has_user(values['email_normalized']):
            partner = request.env['res.partner'].sudo().create({
                'name': values['partner_name'],
                'email': values['partner_email'],
            })
        Ticket = request.env['helpdesk.ticket'].sudo()
        if request.env.user._is_public():
            # like the mail gateway: visitors' tickets are created by the system
            Ticket = Ticket.with_user(SUPERUSER_ID)
        Ticket = Ticket.with_company(team.company_id).with_context(mail_create_nosubscribe=True)
        ticket_values = {
            'name': values['name'],
            'description': plaintext2html(values['description']),
            'team_id': team.id,
            'partner_id': partner.id,
            'priority': values['priority'],
            'channel': 'web_form',
        }
        if not partner:
            ticket_values['partner_name'] = values['partner_name']
            ticket_values['partner_email'] = values['email_normalized']
        elif not partner.email:
            ticket_values['partner_email'] = values['partner_email']
        ticket = Ticket.create(ticket_values)
        if values['attachments']:
            # posted by the system: what a visitor typed is no identity (see SECURITY.md)
            ticket.with_context(attachments_mime_plainxml=True).message_post(
                body=request.env._("Files sent with the request."),
                attachments=values['attachments'],
                author_id=request.env.ref('base.partner_root').id,
                message_type='comment',
                subtype_xmlid='mail.mt_comment',
            )
        return ticket
