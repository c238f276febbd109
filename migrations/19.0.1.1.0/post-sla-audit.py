"""19.0.1.1.0: the SLA audit trail, exemptions and re-planning.

* SLA lines of databases installed before get the columns the SLA states now read
  (``active``: not dropped, ``is_exempt``: no) where still empty;
* the unique index limiting one line per policy now leaves periodic-update lines out
  (they open a window per agent message): the former index is dropped;
* each existing line gets its 'start' event (and 'reach' or 'pause' where it applies), so
  its timeline is not empty; later changes are recorded as they happen."""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE helpdesk_sla_status SET active = TRUE WHERE active IS NULL")
    cr.execute("UPDATE helpdesk_sla_status SET is_exempt = FALSE WHERE is_exempt IS NULL")
    cr.execute("DROP INDEX IF EXISTS helpdesk_sla_status_one_line_per_target")
    cr.execute("""
        INSERT INTO helpdesk_sla_event (status_id, ticket_id, sla_id, team_id, event_type, date, deadline)
        SELECT line.id, line.ticket_id, line.sla_id, line.team_id, kind.event_type,
               CASE kind.event_type WHEN 'start' THEN line.start_date WHEN 'reach' THEN line.reached_datetime
                    ELSE line.pause_start END,
               line.deadline
          FROM helpdesk_sla_status line
         CROSS JOIN (VALUES ('start'), ('reach'), ('pause')) AS kind(event_type)
         WHERE NOT EXISTS (SELECT 1 FROM helpdesk_sla_event event WHERE event.status_id = line.id)
           AND line.start_date IS NOT NULL
           AND (kind.event_type = 'start'
                OR (kind.event_type = 'reach' AND line.reached_datetime IS NOT NULL)
                OR (kind.event_type = 'pause' AND line.pause_start IS NOT NULL AND line.reached_datetime IS NULL))
    """)
    api.Environment(cr, SUPERUSER_ID, {})['helpdesk.ticket'].invalidate_model()
