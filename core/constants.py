"""Selections shared by several models, reports and views (one definition each)."""

TICKET_PRIORITIES = [
    ('0', "Low"),
    ('1', "Medium"),
    ('2', "High"),
    ('3', "Urgent"),
]
URGENT_PRIORITY = TICKET_PRIORITIES[-1][0]

TICKET_CHANNELS = [
    ('email', "Email"),
    ('web_form', "Web Form"),
    ('portal', "Portal"),
    ('phone', "Phone"),
    ('backend', "Backend"),
    ('api', "API"),
]

# the states of an SLA line; a ticket shows its most severe line, least severe first below
SLA_STATES = [
    ('ongoing', "Ongoing"),
    ('warning', "At Risk"),
    ('failed', "Failed"),
    ('reached', "Reached"),
]
SLA_STATE_SEVERITY = ['reached', 'ongoing', 'warning', 'failed']

ESCALATION_TRIGGER_TYPES = [
    ('consumed_pct', "% of SLA time consumed"),
    ('before_deadline', "Hours before the deadline"),
    ('after_deadline', "Hours after the deadline"),
]
