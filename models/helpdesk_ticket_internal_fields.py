from odoo import fields, models

INTERNAL = 'base.group_user'


class HelpdeskTicket(models.Model):
    """The ticket fields only internal users read: the portal boundary of the ticket in one place.

    A portal user reads, over RPC or templates, what the customer's own pages show (subject,
    description, reference, customer, stage, priority, team, agent, dates of the page) and
    Odoo's chatter fields. Everything below is how the team works the ticket: SLA clock and
    outcome, escalation, working-time figures, assignment stamps, ratings' aggregates, tags
    and type (internal labels). A new ticket field is classified in
    tests/test_portal_attacks.py (``TICKET_PORTAL_FIELDS`` or ``TICKET_INTERNAL_FIELDS``).
    """

    _inherit = 'helpdesk.ticket'

    # labels and pipeline details
    color = fields.Integer(groups=INTERNAL)
    tag_ids = fields.Many2many(groups=INTERNAL)
    ticket_type_id = fields.Many2one(groups=INTERNAL)
    channel = fields.Selection(groups=INTERNAL)
    merged_into_id = fields.Many2one(groups=INTERNAL)
    reopen_count = fields.Integer(groups=INTERNAL)
    duration_tracking = fields.Json(groups=INTERNAL)
    rotting_days = fields.Integer(groups=INTERNAL)
    is_rotting = fields.Boolean(groups=INTERNAL)
    auto_close_reminder_date = fields.Datetime(groups=INTERNAL)
    # assignment and reporting stamps
    assign_date = fields.Datetime(groups=INTERNAL)
    date_started = fields.Datetime(groups=INTERNAL)
    date_first_response = fields.Datetime(groups=INTERNAL)
    assign_hours = fields.Float(groups=INTERNAL)
    first_response_hours = fields.Float(groups=INTERNAL)
    close_hours = fields.Float(groups=INTERNAL)
    is_first_contact_resolution = fields.Boolean(groups=INTERNAL)
    # escalation
    escalation_level = fields.Integer(groups=INTERNAL)
    is_escalated = fields.Boolean(groups=INTERNAL)
    escalation_date = fields.Datetime(groups=INTERNAL)
    escalation_log_ids = fields.One2many(groups=INTERNAL)
    # SLA
    use_sla = fields.Boolean(groups=INTERNAL)
    sla_status_ids = fields.One2many(groups=INTERNAL)
    sla_deadline = fields.Datetime(groups=INTERNAL)
    sla_status = fields.Selection(groups=INTERNAL)
    sla_reached_late = fields.Boolean(groups=INTERNAL)
    sla_success = fields.Boolean(groups=INTERNAL)
    sla_fail_date = fields.Datetime(groups=INTERNAL)
    sla_fail = fields.Boolean(groups=INTERNAL)
    sla_at_risk = fields.Boolean(groups=INTERNAL)
    sla_paused = fields.Boolean(groups=INTERNAL)
    # rating aggregates (rating.mixin leaves these two open; the others are internal there)
    rating_count = fields.Integer(groups=INTERNAL)
    rating_percentage_satisfaction = fields.Float(groups=INTERNAL)
    # audit trail, mail intake, conversations and after-sales links
    sla_event_ids = fields.One2many(groups=INTERNAL)
    intake_message_id = fields.Char(groups=INTERNAL)
    origin_channel_id = fields.Many2one(groups=INTERNAL)
    document_ref = fields.Reference(groups=INTERNAL)
    document_ref_domains = fields.Json(groups=INTERNAL)
    document_display_name = fields.Char(groups=INTERNAL)
    has_document_models = fields.Boolean(groups=INTERNAL)
    can_ticket_refund = fields.Boolean(groups=INTERNAL)
    can_ticket_return = fields.Boolean(groups=INTERNAL)
    can_ticket_repair = fields.Boolean(groups=INTERNAL)
