from . import helpdesk_ticket_criteria  # first: SLA policies and assignment rules inherit it
from . import resource_calendar
from . import helpdesk_stage
from . import helpdesk_tag
from . import helpdesk_ticket_type
from . import helpdesk_team
from . import helpdesk_team_email
from . import helpdesk_ticket
from . import helpdesk_ticket_triage
from . import helpdesk_ticket_acknowledgement
from . import helpdesk_sla
from . import helpdesk_sla_status
from . import helpdesk_assignment_rule
from . import helpdesk_customer_tier
from . import helpdesk_escalation_rule
from . import helpdesk_escalation_log
from . import mail_thread
from . import rating_rating
