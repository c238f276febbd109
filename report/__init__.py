from . import helpdesk_sla_report_analysis
from . import helpdesk_ticket_report_analysis
from . import helpdesk_sla_compliance_report
