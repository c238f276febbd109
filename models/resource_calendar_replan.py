from odoo import api, models

CALENDAR_FIELDS = frozenset({'attendance_ids', 'tz', 'hours_per_day', 'flexible_hours'})


class ResourceCalendar(models.Model):
    """A change of the working time of a calendar in use re-plans the open SLA lines on it."""

    _inherit = 'resource.calendar'

    def write(self, vals):
        result = super().write(vals)
        if {'tz', 'flexible_hours'} & set(vals):
            self._helpdesk_replan()
        return result

    def _helpdesk_replan(self, all_calendars=False):
        """Re-plan the open SLA lines counted on these working hours (on every calendar with
        ``all_calendars``: a public holiday for all); large sets go to the background."""
        if not self and not all_calendars:
            return 0, False
        return self.env['helpdesk.sla.status'].sudo()._request_replan(
            'calendar', calendars=self, all_calendars=all_calendars)


class ResourceCalendarAttendance(models.Model):
    _inherit = 'resource.calendar.attendance'

    @api.model_create_multi
    def create(self, vals_list):
        attendances = super().create(vals_list)
        attendances.calendar_id._helpdesk_replan()
        return attendances

    def write(self, vals):
        calendars = self.calendar_id
        result = super().write(vals)
        (calendars | self.calendar_id)._helpdesk_replan()
        return result

    def unlink(self):
        calendars = self.calendar_id
        result = super().unlink()
        calendars.exists()._helpdesk_replan()
        return result


class ResourceCalendarLeaves(models.Model):
    """Calendar-wide leaves (no resource) change the working time SLA lines count: a leave of
    one calendar re-plans that calendar's lines, a public holiday (no calendar) every line."""

    _inherit = 'resource.calendar.leaves'

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._helpdesk_replan()
        return leaves

    def write(self, vals):
        before = self._helpdesk_scope()
        result = super().write(vals)
        self._helpdesk_replan(before)
        return result

    def unlink(self):
        scope = self._helpdesk_scope()
        result = super().unlink()
        self.env['resource.calendar.leaves']._helpdesk_replan(scope)
        return result

    def _helpdesk_scope(self):
        """(calendars, all calendars?) whose working time these leaves change."""
        shared = self.filtered(lambda leave: not leave.resource_id)
        return shared.calendar_id, any(not leave.calendar_id for leave in shared)

    def _helpdesk_replan(self, extra=None):
        calendars, everywhere = self._helpdesk_scope()
        if extra:
            calendars, everywhere = calendars | extra[0], everywhere or extra[1]
        if calendars or everywhere:
            calendars._helpdesk_replan(all_calendars=everywhere)
