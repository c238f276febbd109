from . import helpdesk_ticket_merge
from . import helpdesk_ticket_rate
from . import helpdesk_ticket_escalate
from . import helpdesk_sla_compliance_wizard
from . import helpdesk_sla_matrix
