"""Handing tickets out to agents: rotation, balance, capacity and time off, on plain ids."""


def plan_assignees(user_ids, count, method, load, pointer, away_until, capacity=0):
    """Hand ``count`` tickets out to the agents ``user_ids`` (ids in ascending order).

    * ``method`` 'randomly': a rotation after ``pointer`` (the last agent served), so
      every agent gets the same number of tickets over time, to within one;
      'balanced': the agent with the fewest open tickets in ``load`` (user id -> count,
      updated in place as tickets are handed out), ties in rotation order.
    * ``away_until`` maps the agents away now to when they are back: they are skipped;
      when everybody is away, the agents back soonest share the tickets.
    * ``capacity`` (0: no limit): an agent whose ``load`` reached it gets no more; the
      tickets nobody can take are left out (they wait in the queue), so fewer ids than
      ``count`` may come back. With a capacity, ``load`` must hold every agent's open tickets.

    Returns the list of chosen user ids (one per ticket handed out, in ticket order) and
    the new pointer.
    """
    present = [uid for uid in user_ids if uid not in away_until]
    if not present and user_ids:
        back = min(away_until[uid] for uid in user_ids)
        present = [uid for uid in user_ids if away_until[uid] == back]
    chosen = []
    for _index in range(count):
        if capacity:
            present = [uid for uid in present if load.get(uid, 0) < capacity]
        if not present:
            break
        eligible = present
        if method == 'balanced':
            fewest = min(load.get(uid, 0) for uid in present)
            eligible = [uid for uid in present if load.get(uid, 0) == fewest]
        pick = next((uid for uid in eligible if uid > (pointer or 0)), eligible[0])
        load[pick] = load.get(pick, 0) + 1
        pointer = pick
        chosen.append(pick)
    return chosen, pointer


def queue_order(tickets):
    """The order in which waiting tickets get an agent: ``tickets`` as (key, created datetime,
    priority) tuples; oldest first, and within the same minute the higher priority first
    (ties by key). Returns the keys in that order."""
    return [key for key, _created, _priority in sorted(
        tickets, key=lambda ticket: (ticket[1].replace(second=0, microsecond=0), -int(ticket[2] or 0), ticket[0]))]
