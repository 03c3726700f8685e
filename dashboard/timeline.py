"""Complaint timeline for internal audit: the record with both times, as it stood at any moment."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.tables import table
from domain.complaint import complaint_uuid
from plaintrail.wiring import audit_record, open_transparency
from projections.access import AccessDenied
from projections.timeline import ComplaintNotFound
from transparency.log import TreeProblem, included

WHEN = {"now": "As it stands", "as_of": "As recorded by a past moment (--as-of: what was known)",
        "at": "As it had happened by a moment (--at: business time)"}
COLUMNS = ["at", "recorded_at", "action", "actor", "action_id", "correction", "late"]


def page() -> None:
    st.title("Complaint timeline 投诉时间线")
    how = st.radio("Find by", ["complaint id", "customer ref", "outlet", "person"], horizontal=True)
    if "search" not in st.session_state and st.query_params.get("complaint"):  # a link: /timeline?complaint=C-...
        st.session_state["search"] = st.query_params["complaint"]
    text = st.text_input("Search", placeholder="e.g. C-2024-0001", key="search").strip()
    if not text:
        st.caption("Enter a complaint id, a customer reference, an outlet id or a person id.")
        return
    found = data.reader().find_complaints(how.replace(" ", "_"), text)
    if not found:
        st.warning(f"No complaint you may see matches {how} {text!r}.")
        return
    complaint_id = found[0]["complaint_id"] if len(found) == 1 else st.selectbox(
        f"{len(found)} complaints", [c["complaint_id"] for c in found])
    when = st.radio("Which record", ["now", "as_of", "at"], horizontal=True, format_func=WHEN.__getitem__)
    moment = data.moment_input("Moment", "timeline-moment") if when != "now" else None
    show(complaint_id, moment if when == "as_of" else None, moment if when == "at" else None)


def show(complaint_id: str, as_of: datetime | None, at: datetime | None = None) -> None:
    try:
        doc = data.reader().timeline(complaint_id, as_of, at)
    except (ComplaintNotFound, AccessDenied) as error:
        st.warning(str(error))
        return
    data.record_access("timeline.view", complaint_id, {"as_of": as_of.isoformat() if as_of else None,
                                                       "at": at.isoformat() if at else None})
    summary = doc.get("summary", {})
    st.subheader(f"{complaint_id} · state **{doc['state']}**" + (f" · as recorded by {doc['as_of']}" if as_of else "")
                 + (f" · as it had happened by {doc['at']}" if at else ""))
    st.caption(" · ".join(f"{k}: {v}" for k, v in summary.items() if v not in (None, "", [])))
    for forged in doc.get("outside_log", []):
        st.error(f"Left out: stored event {forged['event_type']} (version {forged['version']}, action "
                 f"{forged['action_id']}) lies outside the log, at notification id {forged['notification_id']}: "
                 "slipped into the event table beside the record (Verify the record below).")
    events = pd.DataFrame([dict(e, correction=f"annulled by {e['annulled_by']}" if e["annulled_by"] else
                                (f"corrects {e['target_action_id']}" if e.get("target_action_id") else ""))
                           for e in doc["events"]])
    table(events[[c for c in COLUMNS if c in events]])
    with st.expander("Every field of every event"):
        table(events)
    st.subheader("SLA verdicts")
    table(pd.DataFrame(doc["sla"]))
    integrity(complaint_id)


def integrity(complaint_id: str) -> None:
    """The latest signed checkpoint, this complaint's inclusion in it (checked here, and downloadable for
    tools/verify_proof.py), and the whole record's check on demand (it reads every event)."""
    st.subheader("Integrity of the record")
    tree = open_transparency(data.settings())
    try:
        proof = {"complaint_id": complaint_id, **tree.prove(complaint_uuid(complaint_id))}
    except TreeProblem as problem:
        st.error(str(problem))
        proof = None
    finally:
        tree.store.close()
    if proof is not None:
        checkpoint, held = proof["checkpoint"], included(proof)
        st.caption(f"Latest checkpoint: {checkpoint['size']:,} events, root {checkpoint['root'][:16]}…, signed "
                   f"{checkpoint['timestamp']} (Ed25519 public key {checkpoint['public_key'][:16]}…)")
        if held and all(held) and not proof["not_yet_covered"]:
            st.success(f"Included: all {len(held)} events of {complaint_id} are in the signed tree; their proofs hold.")
        else:
            st.error(f"NOT included: {held.count(False)} events' proofs fail, "
                     f"{len(proof['not_yet_covered'])} are in no checkpoint.")
        if st.download_button("Inclusion proof (JSON, for tools/verify_proof.py)", json.dumps(proof, indent=2),
                              file_name=f"{complaint_id}.proof.json", mime="application/json", key="proof"):
            data.record_access("timeline.export", complaint_id, {"format": "proof.json"})
    if not st.button("Verify the record now", key="verify"):
        st.caption("Recomputes every event's leaf and checks the Merkle tree and its signed checkpoints "
                   "(plaintrail verify).")
        return
    report = audit_record(data.settings())
    data.record_access("record.verify", "all", {"ok": report["ok"]})
    if report["ok"]:
        st.success(f"Intact: {report['events_checked']:,} events in the Merkle tree, "
                   f"{report['checkpoints_checked']} signed checkpoints checked.")
    else:
        broken = report["first_broken"]
        st.error(f"ALTERED: {broken['kind']}" + (f" at event {broken['notification_id']}"
                                                 if broken["notification_id"] is not None else "")
                 + (f" (complaint {broken.get('complaint_id')}, {broken.get('event_type')})"
                    if broken.get("event_type") else f": {broken.get('note', '')}"))
