from odoo import api, fields, models

from ..core.constants import TICKET_PRIORITIES


class HelpdeskCustomerTier(models.Model):
    """A team's priority for a customer tier (a contact tag such as VIP): new tickets of
    customers with that tag start at least at that priority."""

    _name = 'helpdesk.customer.tier'
    _description = "Helpdesk Customer Tier Priority"
    _order = 'team_id, priority desc, id'
    _rec_name = 'partner_category_id'

    team_id = fields.Many2one('helpdesk.team', required=True, index=True, ondelete='cascade')
    company_id = fields.Many2one(related='team_id.company_id', store=True, index=True)
    partner_category_id = fields.Many2one(
        'res.partner.category', string="Customer Tier", required=True, ondelete='cascade',
        help="Contacts with this tag, or whose company has it.")
    priority = fields.Selection(TICKET_PRIORITIES, required=True, default='2')

    _team_category_unique = models.UniqueIndex(
        '(team_id, partner_category_id)', "A customer tier has one priority per team.")

    @api.model
    def _get_priorities(self, team_partner_pairs):
        """Tier priority of each (team id, partner id) pair, in order, False without one:
        the highest priority the team maps to a tag of the partner or of its company.
        One query for all pairs."""
        team_ids = {team_id for team_id, partner_id in team_partner_pairs if team_id and partner_id}
        tiers = self.search_fetch(
            [('team_id', 'in', list(team_ids))], ['team_id', 'partner_category_id', 'priority'],
        ) if team_ids else self.browse()
        if not tiers:
            return [False] * len(team_partner_pairs)
        by_team = {}
        for tier in tiers:
            by_team.setdefault(tier.team_id.id, {})[tier.partner_category_id.id] = tier.priority
        partners = self.env['res.partner'].browse(
            {partner_id for team_id, partner_id in team_partner_pairs if team_id in by_team})
        result = []
        for team_id, partner_id in team_partner_pairs:
            mapping = by_team.get(team_id)
            if not mapping or not partner_id:
                result.append(False)
                continue
            partner = partners.browse(partner_id).with_prefetch(partners._prefetch_ids)
            categories = partner.category_id | partner.commercial_partner_id.category_id
            result.append(max((mapping[cat.id] for cat in categories if cat.id in mapping), default=False))
        return result
