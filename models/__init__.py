from . import helpdesk_stage, helpdesk_tag, helpdesk_team, helpdesk_ticket, helpdesk_ticket_type
