"""Publishing the red/black list (张榜) and comparing the board of today with what was posted.

`publish` draws the board from the read models (every event folded in), records it as posted (a `Posted`
event of the board's `Publication`, in the Merkle tree like every event), and remembers the log position
the board stood at. `changes_since` draws today's board on the same terms and names the units that moved
and the events recorded after that position that moved them.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from consumers.local import BATCH, SOURCE, readable
from domain.application import ComplaintLog
from domain.periods import Period
from domain.policy import DEFAULT, Policy
from domain.publication import Publication, board_id, digest
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections import queries
from projections.complaints import month
from projections.envelope import Envelope
from projections.leaderboard import Lists, ranked
from projections.runner import PROJECTION
from projections.store import ReadModelStore

POSTED = ["rank", "tied_rank", "tied_with", "list", "unit", "name", "work_orders", "complaints",
          "regulator_transferred", "effective", "customers", "regulator_transferred_per_10k", "complaints_per_10k",
          "ranked_on"]  # what a posted row keeps: the board as read on the wall, not the comparison period
COMPARED = ["tied_rank", "list", "work_orders", "complaints", "regulator_transferred", "effective", "customers"]


class NotPublished(LookupError):
    pass


def _board(store: ReadModelStore, period: Period, level: str, within: str | None, size: str | None,
           policy: Policy) -> list[dict[str, Any]]:
    lists = Lists.of(policy, period, level, size)
    inside = queries.units_under(store, within, level) if within else None
    return ranked(queries.ranked_lines(store, period, level, period.previous), lists, level, inside)


def posted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: row.get(k) for k in POSTED} for row in rows]


def publish(settings: Settings, period: Period, level: str, by: str, within: str | None = None,
            size: str | None = None, policy: Policy | None = None, log: ComplaintLog | None = None,
            ) -> dict[str, Any]:
    """Record the board as posted now by `by`; returns the posting (without its rows)."""
    policy = policy or Policy.load(DEFAULT)
    log = log or open_log(settings)
    store = open_read_models(settings)
    try:
        catch_up(settings, store=store, log=log)
        position = store.position(PROJECTION, SOURCE)
        if position is None:  # Kafka mode: the workers fold; the board is as of at most the log's head
            position = log.recorder.max_notification_id() or 0
        rows = _board(store, period, level, within, size, policy)
    finally:
        store.close()
    try:
        board: Publication = log.repository.get(board_id(str(period), level, within))
    except AggregateNotFoundError:
        board = Publication(str(period), level, within)
    first = rows[0] if rows else {}
    kept = posted(rows)
    board.publish(by, datetime.now(UTC), first.get("list_policy_version") or "", int(first.get("list_size") or 0),
                  first.get("list_note") or "", size, position, kept, digest(kept))
    log.save(board)
    return summary(board)


def summary(board: Publication, index: int = -1, rows: bool = False) -> dict[str, Any]:
    posting = board.postings[index]
    return {
        "period": board.period, "level": board.level, "within": board.within,
        "publication": len(board.postings) + index + 1 if index < 0 else index + 1,
        "postings": len(board.postings),
        **{k: v.isoformat() if isinstance(v, datetime) else v for k, v in posting.items() if k != "rows"},
        "units": len(posting["rows"]),
        "digest_holds": digest(posting["rows"]) == posting["digest"],
        **({"rows": posting["rows"]} if rows else {}),
    }


def published(settings: Settings, period: Period, level: str, within: str | None = None,
              log: ComplaintLog | None = None) -> dict[str, Any]:
    """The latest posting of the board, with its rows."""
    log = log or open_log(settings)
    try:
        board: Publication = log.repository.get(board_id(str(period), level, within))
    except AggregateNotFoundError:
        raise NotPublished(f"the {level.replace('_', '-')} list of {period}"
                           + (f" within {within}" if within else "")
                           + " was never published (plaintrail publish --period P --level L)") from None
    return summary(board, rows=True)


def changes_since(settings: Settings, period: Period, level: str, within: str | None = None,
                  policy: Policy | None = None) -> dict[str, Any]:
    """The latest posting against today's board drawn on the same terms: each unit that moved (its fields
    then and now) and the events recorded after the posting that moved it."""
    log = open_log(settings)
    posting = published(settings, period, level, within, log)
    store = open_read_models(settings)
    try:
        catch_up(settings, store=store, log=log)
        now = posted(_board(store, period, level, within, posting["size_asked"], policy or Policy.load(DEFAULT)))
        events = events_after(log, store, posting["position"], period, level, settings.tz)
    finally:
        store.close()
    then_rows = {r["unit"]: r for r in posting["rows"]}
    now_rows = {r["unit"]: r for r in now}
    changed = []
    for unit in sorted(set(then_rows) | set(now_rows)):
        then, today = then_rows.get(unit), now_rows.get(unit)
        fields = {k: {"then": (then or {}).get(k), "now": (today or {}).get(k)} for k in COMPARED
                  if (then or {}).get(k) != (today or {}).get(k)}
        if fields:
            changed.append({"unit": unit, "name": (today or then or {}).get("name"), "changes": fields,
                            "events": [e["action_id"] or e["event_type"] for e in events if unit in e["units"]]})
    return {"publication": {k: v for k, v in posting.items() if k != "rows"}, "changed": changed,
            "events": [e for e in events if any(unit in e["units"] for unit in {c["unit"] for c in changed})]
            or events}


def events_after(log: ComplaintLog, store: ReadModelStore, position: int, period: Period, level: str,
                 tz: tzinfo) -> list[dict[str, Any]]:
    """The events recorded after `position` that bear on the period's board: those of complaints received in
    the period (each with the unit at `level` that answers for it), and changes to the organisation."""
    found: list[dict[str, Any]] = []
    rollup = {outlet: {"outlet": outlet, "sub_branch": sub, "branch": branch}
              for outlet, sub, branch in store.query("SELECT outlet, sub_branch, branch FROM org_rollup")}
    after = position
    while True:
        notifications = log.recorder.select_notifications(after + 1, BATCH)
        if not notifications:
            break
        after = notifications[-1].id
        envelopes, _ = readable(notifications)
        facts = queries.facts_of(store, {e.complaint_id for e in envelopes if e.complaint_id})
        for e in envelopes:
            known = facts.get(e.complaint_id or "")
            if e.event_type.startswith("Organisation."):
                found.append(_named(e, set()))
            elif e.event_type.startswith("Complaint.") and known is not None and \
                    month(known.received_at, tz) in period.months:
                found.append(_named(e, {rollup.get(known.outlet, {}).get(level) or known.outlet}))
    return found


def _named(e: Envelope, units: set[str]) -> dict[str, Any]:
    return {"notification_id": e.notification_id, "recorded_at": e.recorded_at, "event_type": e.event_type,
            "complaint_id": e.complaint_id, "action_id": e.payload.get("action_id"),
            "target_action_id": e.payload.get("target_action_id"), "at": e.at, "units": sorted(units)}
