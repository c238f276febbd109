"""Pure-Python test tier: makes the addon's pure ``core`` package importable without Odoo."""
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings

ADDON_ROOT = Path(__file__).resolve().parents[2]
if str(ADDON_ROOT) not in sys.path:
    sys.path.insert(0, str(ADDON_ROOT))

# No example database: keeps the addon checkout free of a .hypothesis/ folder.
settings.register_profile("pure", database=None, deadline=None)
settings.load_profile("pure")


def weekly_intervals(first_day, days, hours=((9, 17),), weekdays=range(5)):
    """Expand daily ``(from_hour, to_hour)`` slots over ``days`` days from ``first_day``.

    ``to_hour <= from_hour`` means the slot ends the next day (night shift).
    """
    intervals = []
    for n in range(days):
        day = datetime.combine(first_day, datetime.min.time()) + timedelta(days=n)
        if day.weekday() not in weekdays:
            continue
        for lo, hi in hours:
            end_day = day + timedelta(days=1) if hi <= lo else day
            intervals.append((day + timedelta(hours=lo), end_day + timedelta(hours=hi)))
    return intervals


@pytest.fixture(scope="session")
def weekly():
    """Factory building calendar intervals from plain datetimes (see ``weekly_intervals``)."""
    return weekly_intervals
