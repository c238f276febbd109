from datetime import timedelta

import pytz

from odoo import fields, models
from odoo.exceptions import ValidationError

from ..core import WorkSchedule


class ResourceCalendar(models.Model):
    _inherit = 'resource.calendar'

    # a new calendar lives in its user's or company's time zone, not in UTC
    tz = fields.Selection(default=lambda self: self._default_helpdesk_tz())

    def _default_helpdesk_tz(self):
        admin = self.env.ref('base.user_admin', raise_if_not_found=False)
        return (self.env.context.get('tz') or self.env.user.tz or self.env.company.partner_id.tz
                or (admin and admin.tz) or 'UTC')

    def _helpdesk_schedule(self, start, end):
        """Working time of this calendar (attendances minus leaves and public holidays)
        between the naive-UTC datetimes ``start`` and ``end``, as a WorkSchedule."""
        self.ensure_one()
        intervals = self._work_intervals_batch(
            pytz.utc.localize(start), pytz.utc.localize(end), compute_leaves=True)[False]
        return WorkSchedule(
            (begin.astimezone(pytz.utc).replace(tzinfo=None), stop.astimezone(pytz.utc).replace(tzinfo=None))
            for begin, stop, _meta in intervals)

    def _helpdesk_check_working_time(self):
        """SLA lines need working time: refuse a calendar with none in the coming weeks."""
        now = fields.Datetime.now().replace(microsecond=0)
        for calendar in self:
            if not calendar.attendance_ids.filtered(lambda a: a.hour_to > a.hour_from) \
                    or not len(calendar._helpdesk_schedule(now, now + timedelta(weeks=8))):
                raise ValidationError(self.env._(
                    "The working hours “%s” have no working time, so SLA deadlines could never be reached. "
                    "Add attendances to them or count the SLA policies 24/7.", calendar.name))
