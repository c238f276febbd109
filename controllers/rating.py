from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request
from odoo.tools.misc import get_lang

from odoo.addons.rating.controllers.main import Rating
from odoo.addons.rating.models import rating_data

from ..models.helpdesk_ticket_rating import is_low_rating

RATING_SCALE = range(rating_data.RATING_LIMIT_MIN, rating_data.RATING_HAPPY_VALUE + 1)


class HelpdeskRating(Rating):
    """Odoo's rating pages, for tickets: the same two steps (the emailed link only opens a page,
    the rating is recorded when the customer submits it, as mail scanners follow links), with
    the ticket named, reasons to tick for a low score, links that expire or stop once the ticket
    is worked on again, a thank-you only once the rating is saved, a way back to the ticket,
    and a 404 page, not an error, for a value out of the 1-5 scale."""

    @http.route()
    def action_open_rating(self, token, rate, **kwargs):
        rating, ticket = self._get_ticket_rating(token)
        if not ticket:
            return super().action_open_rating(token, rate, **kwargs)
        if rate not in RATING_SCALE:
            raise NotFound()
        user = request.env.user
        if not user._is_public() and \
                user.partner_id.commercial_partner_id != rating.partner_id.commercial_partner_id:
            return request.render('rating.rating_external_page_invalid_partner', {
                'model_name': request.env['ir.model']._get(rating.res_model).display_name,
                'name': ticket.display_name,
                'web_base_url': rating.get_base_url(),
            })
        return self._render_ticket_rating_page(rating, ticket, rate)

    @http.route()
    def action_submit_rating(self, token, rate=0, **kwargs):
        rating, ticket = self._get_ticket_rating(token)
        if not ticket:
            return super().action_submit_rating(token, rate=rate, **kwargs)
        if request.httprequest.method != 'POST':
            # nothing submitted: show the form again rather than thank for nothing
            return self._render_ticket_rating_page(rating, ticket, int(rating.rating))
        try:
            rate = int(rate)
        except ValueError:
            raise NotFound() from None
        if rate not in RATING_SCALE:
            raise NotFound()
        state = ticket._rating_link_state(rating)
        if state != 'valid':
            return self._render_ticket_rating_template('helpdesk_sla.rating_ticket_page_unavailable', rating, ticket, {
                'state': state,
            })
        reasons = self._get_posted_reasons() if is_low_rating(rate) else request.env['helpdesk.rating.reason']
        rating.helpdesk_reason_ids = reasons
        ticket.rating_apply(rate, rating=rating, feedback=kwargs.get('feedback'), subtype_xmlid=None)
        return self._render_ticket_rating_template('helpdesk_sla.rating_ticket_page_view', rating, ticket, {})

    # ------------------------------------------------------------
    # TOOLS
    # ------------------------------------------------------------

    def _get_ticket_rating(self, token):
        """The rating of the token and its ticket (both in sudo; a 404 for an unknown token or a
        deleted record), or no ticket when the rating is of another model."""
        rating_sudo, record_sudo = self._get_rating_and_record(token)
        if rating_sudo.res_model != 'helpdesk.ticket':
            return rating_sudo, None
        return rating_sudo, record_sudo

    def _get_posted_reasons(self):
        """The active reasons ticked on the page (repeated ``reason_ids`` values); unknown ids are ignored."""
        ids = [int(value) for value in request.httprequest.form.getlist('reason_ids') if value.isdigit()]
        return request.env['helpdesk.rating.reason'].sudo().search([('id', 'in', ids)])

    def _render_ticket_rating_page(self, rating, ticket, rate):
        state = ticket._rating_link_state(rating)
        if state != 'valid':
            return self._render_ticket_rating_template('helpdesk_sla.rating_ticket_page_unavailable', rating, ticket, {
                'state': state,
            })
        return self._render_ticket_rating_template('helpdesk_sla.rating_ticket_page_submit', rating, ticket, {
            'token': rating.access_token,
            'rate': rate,
            'rate_names': {
                rating_data.RATING_HAPPY_VALUE: request.env._("Happy"),
                rating_data.RATING_NEUTRAL_VALUE: request.env._("Neutral"),
                rating_data.RATING_UNHAPPY_VALUE: request.env._("Unhappy"),
            },
            'reasons': request.env['helpdesk.rating.reason'].sudo().search([]),
            'low_values': [value for value in RATING_SCALE if is_low_rating(value)],
        })

    def _render_ticket_rating_template(self, template, rating, ticket, values):
        """Render in the customer's language, with the ticket and the way back to it."""
        lang = rating.partner_id.lang or get_lang(request.env).code
        return request.env['ir.ui.view'].with_context(lang=lang)._render_template(template, {
            'rating': rating,
            'ticket': ticket.with_context(lang=lang),
            'web_base_url': rating.get_base_url(),
            **self._get_ticket_back_link(ticket),
            **values,
        })

    def _get_ticket_back_link(self, ticket):
        """Somewhere useful for a customer who is not logged in: their page of the ticket (with
        its access token, it opens without a login) when the team shows tickets in the portal,
        else the company's website; the home page when it has none. Values ``back_url`` and
        ``back_to`` ('ticket', 'website' or False) of the templates."""
        if ticket.team_id.privacy_visibility == 'portal' and ticket.partner_id:
            return {'back_url': ticket.get_portal_url(), 'back_to': 'ticket'}
        if ticket.company_id.website:
            return {'back_url': ticket.company_id.website, 'back_to': 'website'}
        return {'back_url': False, 'back_to': False}
