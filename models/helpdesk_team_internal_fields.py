from odoo import fields, models

INTERNAL = 'base.group_user'


class HelpdeskTeam(models.Model):
    """The team fields only internal users read: the portal boundary of the team in one place.

    A portal user reads a portal team's name, description, company, web form settings and
    address, what its pages and forms need. Its people (leader, agents), working setup
    (stages, hours, assignment, automation, SLA policies, mail settings) and its figures
    (ticket counters, SLA success, satisfaction) are internal, as Odoo keeps its own rating
    averages. A new team field is classified in tests/test_portal_attacks.py
    (``TEAM_PORTAL_FIELDS`` or ``TEAM_INTERNAL_FIELDS``).
    """

    _inherit = 'helpdesk.team'

    # people
    leader_id = fields.Many2one(groups=INTERNAL)
    member_ids = fields.Many2many(groups=INTERNAL)
    rating_alert_user_id = fields.Many2one(groups=INTERNAL)
    last_assigned_user_id = fields.Many2one(groups=INTERNAL)
    # working setup
    color = fields.Integer(groups=INTERNAL)
    privacy_visibility = fields.Selection(groups=INTERNAL)
    stage_ids = fields.Many2many(groups=INTERNAL)
    resource_calendar_id = fields.Many2one(groups=INTERNAL)
    assign_method = fields.Selection(groups=INTERNAL)
    assignment_rule_ids = fields.One2many(groups=INTERNAL)
    customer_tier_ids = fields.One2many(groups=INTERNAL)
    use_sla = fields.Boolean(groups=INTERNAL)
    sla_ids = fields.One2many(groups=INTERNAL)
    sla_count = fields.Integer(groups=INTERNAL)
    use_rating = fields.Boolean(groups=INTERNAL)
    alias_contact = fields.Selection(groups=INTERNAL)
    alias_defaults = fields.Text(groups=INTERNAL)
    allow_cc_followers = fields.Boolean(groups=INTERNAL)
    auto_close_ticket = fields.Boolean(groups=INTERNAL)
    auto_close_day = fields.Integer(groups=INTERNAL)
    auto_close_reminder_day = fields.Integer(groups=INTERNAL)
    from_stage_ids = fields.Many2many(groups=INTERNAL)
    to_stage_id = fields.Many2one(groups=INTERNAL)
    reply_stage_id = fields.Many2one(groups=INTERNAL)
    # figures
    open_ticket_count = fields.Integer(groups=INTERNAL)
    unassigned_ticket_count = fields.Integer(groups=INTERNAL)
    urgent_ticket_count = fields.Integer(groups=INTERNAL)
    sla_failed_ticket_count = fields.Integer(groups=INTERNAL)
    sla_at_risk_ticket_count = fields.Integer(groups=INTERNAL)
    sla_outcome_count = fields.Integer(groups=INTERNAL)
    sla_success_rate = fields.Float(groups=INTERNAL)
    rating_count_last_7_days = fields.Integer(groups=INTERNAL)
    rating_avg_last_7_days = fields.Float(groups=INTERNAL)
    rating_count = fields.Integer(groups=INTERNAL)
    rating_percentage_satisfaction = fields.Integer(groups=INTERNAL)
    # capacity and the CSAT loop
    agent_capacity = fields.Integer(groups=INTERNAL)
    agent_load = fields.Html(groups=INTERNAL)
    queued_ticket_count = fields.Integer(groups=INTERNAL)
    rating_validity_days = fields.Integer(groups=INTERNAL)
    reopen_on_low_rating = fields.Boolean(groups=INTERNAL)
    rating_avg_sla_met = fields.Float(groups=INTERNAL)
    rating_avg_sla_failed = fields.Float(groups=INTERNAL)
    rating_sla_met_count = fields.Integer(groups=INTERNAL)
    rating_sla_failed_count = fields.Integer(groups=INTERNAL)
