#!/usr/bin/env python3
"""Micro-benchmark of the core business-time arithmetic: add/elapsed queries per second on a 2-year
business calendar (Mon-Fri, four slots a day: ~1,040 intervals a year)."""
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import WorkSchedule

SLOTS = ((8, 0, 10, 0), (10, 15, 12, 0), (13, 0, 15, 0), (15, 15, 17, 0))
ORIGIN = datetime(2025, 1, 1)
DAYS = 2 * 365
QUERIES = 200_000


def business_intervals():
    """Working intervals of the benchmark calendar, naive UTC."""
    intervals = []
    for n in range(DAYS):
        day = ORIGIN + timedelta(days=n)
        if day.weekday() < 5:
            intervals += [(day.replace(hour=h1, minute=m1), day.replace(hour=h2, minute=m2))
                          for h1, m1, h2, m2 in SLOTS]
    return intervals


def rate(func, args):
    """Calls per second of ``func(*a)`` over ``args``."""
    begin = time.perf_counter()
    for a in args:
        func(*a)
    return len(args) / (time.perf_counter() - begin)


def main():
    intervals = business_intervals()
    begin = time.perf_counter()
    schedule = WorkSchedule(intervals)
    build_ms = (time.perf_counter() - begin) * 1000
    rng = random.Random(42)
    span = (DAYS - 60) * 86400
    starts = [ORIGIN + timedelta(seconds=rng.uniform(0, span)) for _ in range(QUERIES)]
    add_args = [(s, rng.uniform(0, 40 * 3600)) for s in starts]
    elapsed_args = [(s, s + timedelta(seconds=rng.uniform(0, 30 * 86400))) for s in starts]
    print(f"calendar: {len(schedule)} intervals over {DAYS} days, built in {build_ms:.1f} ms")
    print(f"add:      {rate(schedule.add, add_args):,.0f} queries/s")
    print(f"elapsed:  {rate(schedule.elapsed, elapsed_args):,.0f} queries/s")


if __name__ == "__main__":
    main()
