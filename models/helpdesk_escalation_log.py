from odoo import fields, models


class HelpdeskEscalationLog(models.Model):
    """One application of an escalation rule to a ticket: by the cron for one SLA line, or by
    hand (no SLA line). A rule applies at most once per SLA line: the database refuses a
    second log, so concurrent cron workers can never escalate a line twice."""

    _name = 'helpdesk.escalation.log'
    _description = "Helpdesk Escalation Log"
    _order = 'date desc, id desc'
    _rec_name = 'rule_id'

    ticket_id = fields.Many2one('helpdesk.ticket', required=True, index=True, ondelete='cascade')
    rule_id = fields.Many2one(
        'helpdesk.escalation.rule', string="Rule", index=True, ondelete='set null', readonly=True)
    sla_status_id = fields.Many2one(
        'helpdesk.sla.status', string="SLA Line", index='btree_not_null', ondelete='set null', readonly=True,
        help="Empty for manual escalations, and once the SLA line is dropped (its policy no longer matches).")
    sla_id = fields.Many2one(
        'helpdesk.sla', string="SLA Policy", ondelete='set null', readonly=True,
        help="The policy of the SLA line, kept when the line is dropped.")
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    level = fields.Integer(readonly=True)
    manual = fields.Boolean(string="By Hand", readonly=True)
    user_id = fields.Many2one('res.users', string="Escalated By", readonly=True, help="For manual escalations.")
    reason = fields.Text(readonly=True)
    action_summary = fields.Text(string="Actions Done", readonly=True)
    company_id = fields.Many2one(related='ticket_id.company_id', store=True, index=True)

    _rule_line_unique = models.UniqueIndex(
        '(rule_id, sla_status_id) WHERE sla_status_id IS NOT NULL',
        "An escalation rule applies only once to an SLA line.")
