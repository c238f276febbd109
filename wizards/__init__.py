from . import helpdesk_ticket_merge
