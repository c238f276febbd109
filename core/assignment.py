"""Handing tickets out to agents: rotation, balance and time off, on plain ids."""


def plan_assignees(user_ids, count, method, load, pointer, away_until):
    """Hand ``count`` tickets out to the agents ``user_ids`` (ids in ascending order).

    * ``method`` 'randomly': a rotation after ``pointer`` (the last agent served), so
      every agent gets the same number of tickets over time, to within one;
      'balanced': the agent with the fewest open tickets in ``load`` (user id -> count,
      updated in place as tickets are handed out), ties in rotation order.
    * ``away_until`` maps the agents away now to when they are back: they are skipped;
      when everybody is away, the agents back soonest share the tickets.

    Returns the list of chosen user ids (one per ticket) and the new pointer.
    """
    present = [uid for uid in user_ids if uid not in away_until]
    if not present and user_ids:
        back = min(away_until[uid] for uid in user_ids)
        present = [uid for uid in user_ids if away_until[uid] == back]
    if not present:
        return [], pointer
    chosen = []
    for _index in range(count):
        eligible = present
        if method == 'balanced':
            fewest = min(load.get(uid, 0) for uid in present)
            eligible = [uid for uid in present if load.get(uid, 0) == fewest]
        pick = next((uid for uid in eligible if uid > (pointer or 0)), eligible[0])
        load[pick] = load.get(pick, 0) + 1
        pointer = pick
        chosen.append(pick)
    return chosen, pointer
