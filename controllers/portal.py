from operator import itemgetter
from urllib.parse import urlencode

from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.fields import Domain
from odoo.http import request
from odoo.tools import groupby as groupby_records
from odoo.tools.sql import escape_psql

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


class HelpdeskCustomerPortal(CustomerPortal):
    """Customer portal pages of the helpdesk: the ticket list and one ticket's page.

    Lists are searched as the logged-in user, so the record rules decide what a
    customer sees; pages of one ticket accept the ticket's access token instead.
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if 'ticket_count' in counters:
            Ticket = request.env['helpdesk.ticket']
            values['ticket_count'] = Ticket.search_count([]) if Ticket.has_access('read') else 0
        return values

    # ------------------------------------------------------------
    # SEARCH BAR
    # ------------------------------------------------------------

    def _ticket_get_searchbar_sortings(self):
        _ = request.env._
        return {
            'date': {'label': _("Newest"), 'order': 'create_date desc, id desc'},
            'reference': {'label': _("Reference"), 'order': 'ticket_ref desc, id desc'},
            'stage': {'label': _("Stage"), 'order': 'stage_id, id desc'},
            'priority': {'label': _("Priority"), 'order': 'priority desc, id desc'},
        }

    def _ticket_get_searchbar_filters(self):
        _ = request.env._
        return {
            'all': {'label': _("All"), 'domain': Domain.TRUE},
            'open': {'label': _("Open"), 'domain': Domain('is_closed', '=', False)},
            'closed': {'label': _("Closed"), 'domain': Domain('is_closed', '=', True)},
        }

    def _ticket_get_searchbar_groupby(self):
        """Group-by options: field to group on and the order that keeps groups together."""
        _ = request.env._
        return {
            'none': {'label': _("None"), 'field': None, 'order': None},
            'stage': {'label': _("Stage"), 'field': 'stage_id', 'order': 'stage_id'},
            'team': {'label': _("Team"), 'field': 'team_id', 'order': 'team_id'},
            'priority': {'label': _("Priority"), 'field': 'priority', 'order': 'priority desc'},
        }

    def _ticket_get_searchbar_inputs(self):
        _ = request.env._
        return {
            'all': {'input': 'all', 'label': _("Search in Subject and Reference")},
            'name': {'input': 'name', 'label': _("Search in Subject")},
            'ticket_ref': {'input': 'ticket_ref', 'label': _("Search in Reference")},
            'message': {'input': 'message', 'label': _("Search in Messages")},
        }

    def _ticket_get_search_domain(self, search_in, search):
        """Tickets matching ``search`` in the chosen place; ``%`` and ``_`` match themselves.

        Messages are searched as the customer reads them: public comments and emails only, never
        internal notes (the message search bypasses message access, so the filter is explicit)."""
        pattern = f'%{escape_psql(search)}%'
        if search_in == 'name':
            return Domain('name', '=ilike', pattern)
        if search_in == 'ticket_ref':
            return Domain('ticket_ref', '=ilike', pattern)
        if search_in == 'message':
            Message = request.env['mail.message']
            return Domain('message_ids', 'any', Message._get_search_domain_share()
                          & Domain('message_type', 'in', ('comment', 'email'))
                          & Domain('body', '=ilike', pattern))
        return Domain('name', '=ilike', pattern) | Domain('ticket_ref', '=ilike', pattern)

    # ------------------------------------------------------------
    # TICKET LIST
    # ------------------------------------------------------------

    # the list and the page of a ticket only read (the customer's history lives in the session,
    # not the database): a deployment with db_replica_host serves them from the replica
    @http.route(['/my/tickets', '/my/tickets/page/<int:page>'], type='http', auth='user', website=True,
                readonly=True)
    def portal_my_tickets(self, page=1, sortby=None, filterby=None, search=None, search_in='all',
                          groupby=None, **kw):
        Ticket = request.env['helpdesk.ticket']
        if not Ticket.has_access('read'):
            return request.redirect('/my')
        sortings = self._ticket_get_searchbar_sortings()
        filters = self._ticket_get_searchbar_filters()
        groupbys = self._ticket_get_searchbar_groupby()
        inputs = self._ticket_get_searchbar_inputs()
        sortby = sortby if sortby in sortings else 'date'
        filterby = filterby if filterby in filters else 'all'
        groupby = groupby if groupby in groupbys else 'none'
        search_in = search_in if search_in in inputs else 'all'

        domain = filters[filterby]['domain']
        if search:
            domain &= self._ticket_get_search_domain(search_in, search)
        pager = portal_pager(
            url='/my/tickets',
            url_args={'sortby': sortby, 'filterby': filterby, 'groupby': groupby,
                      'search_in': search_in, 'search': search},
            total=Ticket.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        group_field, group_order = groupbys[groupby]['field'], groupbys[groupby]['order']
        order = sortings[sortby]['order']
        if group_order:
            order = f"{group_order}, {order}"
        # searched as the user (record rules apply), displayed in sudo (agents, stages)
        tickets = Ticket.search(domain, order=order, limit=self._items_per_page, offset=pager['offset'])
        request.session['my_tickets_history'] = tickets.ids[:100]
        tickets_sudo = tickets.sudo()
        if not tickets_sudo:
            grouped_tickets = []
        elif group_field:
            grouped_tickets = [
                tickets_sudo.concat(*group)
                for _key, group in groupby_records(tickets_sudo, key=itemgetter(group_field))]
        else:
            grouped_tickets = [tickets_sudo]

        values = self._prepare_portal_layout_values()
        values.update({
            'page_name': 'helpdesk_ticket',
            'default_url': '/my/tickets',
            'grouped_tickets': grouped_tickets,
            'group_field': group_field,
            'priority_labels': dict(Ticket._fields['priority']._description_selection(request.env)),
            'pager': pager,
            'searchbar_sortings': sortings,
            'sortby': sortby,
            'searchbar_filters': filters,
            'filterby': filterby,
            'searchbar_groupby': groupbys,
            'groupby': groupby,
            'searchbar_inputs': inputs,
            'search_in': search_in,
            'search': search,
            'form_teams': self._ticket_get_form_teams(),
        })
        return request.render('helpdesk_sla.portal_my_tickets', values)

    def _ticket_get_form_teams(self):
        """Teams whose web form the logged-in customer can open from the portal."""
        return request.env['helpdesk.team'].sudo().search([
            ('use_website_form', '=', True),
            ('company_id', 'in', request.env.user.company_ids.ids),
        ])

    # ------------------------------------------------------------
    # ONE TICKET
    # ------------------------------------------------------------

    def _ticket_check_access(self, ticket_id, access_token):
        """The ticket in sudo if the user may read it or the token is its own, else ``None``."""
        try:
            return self._document_check_access('helpdesk.ticket', ticket_id, access_token)
        except (AccessError, MissingError):
            return None

    def _ticket_can_close(self, ticket_sudo):
        return (ticket_sudo.team_id.allow_portal_ticket_closing
                and not ticket_sudo.is_closed
                and bool(ticket_sudo.team_id.stage_ids.filtered('fold')))

    def _ticket_customer_tz(self, ticket_sudo):
        """The time zone the customer reads the page in: theirs when logged in, else the ticket's customer's."""
        user = request.env.user
        return (not user._is_public() and user.tz) or ticket_sudo.partner_id.tz or None

    def _ticket_get_page_view_values(self, ticket_sudo, access_token, **kwargs):
        values = {
            'page_name': 'helpdesk_ticket',
            'ticket': ticket_sudo,
            'priority_labels': dict(ticket_sudo._fields['priority']._description_selection(request.env)),
            'can_close': self._ticket_can_close(ticket_sudo),
            'sla_promises': ticket_sudo._sla_customer_promises(self._ticket_customer_tz(ticket_sudo)),
        }
        return self._get_page_view_values(ticket_sudo, access_token, values, 'my_tickets_history', False, **kwargs)

    @http.route('/my/tickets/<int:ticket_id>', type='http', auth='public', website=True, readonly=True)
    def portal_my_ticket(self, ticket_id, access_token=None, **kw):
        ticket_sudo = self._ticket_check_access(ticket_id, access_token)
        if ticket_sudo is None:
            if request.env.user._is_public() and not access_token:
                return request.redirect('/web/login?' + urlencode({'redirect': f'/my/tickets/{ticket_id}'}))
            return request.not_found()
        values = self._ticket_get_page_view_values(ticket_sudo, access_token, **kw)
        return request.render('helpdesk_sla.portal_my_ticket', values)

    @http.route('/my/tickets/<int:ticket_id>/close', type='http', auth='public', methods=['POST'], website=True)
    def portal_close_ticket(self, ticket_id, access_token=None, **kw):
        ticket_sudo = self._ticket_check_access(ticket_id, access_token)
        if ticket_sudo is None:
            return request.not_found()
        if not self._ticket_can_close(ticket_sudo):
            raise Forbidden()
        author = request.env.user.partner_id
        if request.env.user._is_public():
            author = ticket_sudo.partner_id or author
        ticket_sudo._portal_close(author)
        url = ticket_sudo.access_url
        if access_token:
            url += '?' + urlencode({'access_token': access_token})
        return request.redirect(url)
