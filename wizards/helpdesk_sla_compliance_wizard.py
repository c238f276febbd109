from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError


def _default_date_from(wizard):
    return fields.Date.context_today(wizard) + relativedelta(months=-1, day=1)


def _default_date_to(wizard):
    return fields.Date.context_today(wizard) + relativedelta(day=1, days=-1)


class HelpdeskSlaComplianceWizard(models.TransientModel):
    """Pick teams and a period, then print (PDF) or preview (HTML) the SLA compliance
    report (its figures: ``report.helpdesk_sla.report_sla_compliance``)."""

    _name = 'helpdesk.sla.compliance.wizard'
    _description = "SLA Compliance Report"

    team_ids = fields.Many2many('helpdesk.team', string="Teams", help="All teams when empty.")
    date_from = fields.Date(string="From", required=True, default=_default_date_from)
    date_to = fields.Date(string="To", required=True, default=_default_date_to)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains('date_from', 'date_to')
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(self.env._("The period must start before it ends."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.readonly
    def action_print(self):
        self.ensure_one()
        return self.env.ref('helpdesk_sla.action_report_sla_compliance').report_action(self)

    @api.readonly
    def action_preview(self):
        self.ensure_one()
        return self.env.ref('helpdesk_sla.action_report_sla_compliance_html').report_action(self)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_teams(self):
        self.ensure_one()
        return self.team_ids or self.env['helpdesk.team'].search([])

    def _get_period_bounds(self):
        """The period as naive UTC datetimes [start, end), its days taken in the user's time zone."""
        self.ensure_one()
        tz = pytz.timezone(self.env.context.get('tz') or self.env.user.tz or 'UTC')

        def to_utc(day):
            return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

        return to_utc(self.date_from), to_utc(self.date_to + timedelta(days=1))
