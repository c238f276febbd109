from odoo import api, models


class ReportHelpdeskSlaCompliance(models.AbstractModel):
    """Values of the SLA compliance report (PDF and HTML): the figures of each wizard."""

    _name = 'report.helpdesk_sla.report_sla_compliance'
    _description = "SLA Compliance Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        wizards = self.env['helpdesk.sla.compliance.wizard'].browse(docids)
        return {
            'doc_ids': docids,
            'doc_model': 'helpdesk.sla.compliance.wizard',
            'docs': wizards,
            'compliance': {wizard.id: wizard._get_compliance_data() for wizard in wizards},
        }
