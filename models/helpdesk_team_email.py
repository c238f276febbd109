from odoo import api, fields, models


class HelpdeskTeam(models.Model):
    """Email set-up of a team: is its alias reachable, does it acknowledge new tickets."""

    _inherit = 'helpdesk.team'

    use_acknowledgement = fields.Boolean(
        string="Acknowledge New Tickets", default=True, groups='base.group_user',
        help="Send the customer the email template of the team's first stage when a ticket is created "
             "(by email, web form, portal or by an agent): its reference and a link to follow it.")
    has_alias_domain = fields.Boolean(
        compute='_compute_has_alias_domain', groups='base.group_user',
        help="An alias domain is configured, so customers can write to the team's email alias.")

    @api.depends('alias_domain_id', 'company_id.alias_domain_id')
    @api.depends_context('company')
    def _compute_has_alias_domain(self):
        for team in self:
            company = team.company_id or self.env.company
            team.has_alias_domain = bool(team.alias_domain_id or company.alias_domain_id)
