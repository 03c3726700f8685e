"""CFPB Consumer Complaint Database exports (both layouts: 2014's 14 columns and the 18-column one).

| CFPB column | plaintrail |
|---|---|
| `Complaint ID` | `complaint_id` = `CFPB-<id>`; `customer_ref` = the same (the export names no person) |
| `Company` | an outlet `CFPB-CO-<NAME>` under the branch `CFPB` (companies are ranked like outlets) |
| `Date received` | `received` at noon UTC that day (the export has day resolution), `via` = `cfpb`: every complaint in the database was sent to the company by the regulator, so each counts as regulator-transferred |
| `Submitted via` | `channel`: Web -> web, Phone -> hotline, Email -> email, Postal mail / Fax / Referral -> letter |
| `Product` / `Sub-product` | `category` |
| `Date sent to company` | `assigned` (assignee: the company) |
| `Company response` / `Company response to consumer` | `closed` at the date sent (the export has no response date), unless "In progress"; the response text, `Timely response?` and `Consumer disputed?` kept as the close's `source` facts |

Companies have no customer base in the export: the red/black list ranks them on counts (each row
says `ranked_on`: `counts`), and the black list is the companies with the most complaints.

Rows without an id, company or a readable date are rejected with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from domain.organisation import UnitSpec
from plaintrail.formats import raw_line, unit_id
from plaintrail.sources import Row

BRANCH = "CFPB"
CHANNELS = {"web": "web", "phone": "hotline", "email": "email", "postal mail": "letter", "fax": "letter",
            "referral": "letter"}


def company_unit(name: str) -> str:
    return unit_id("CFPB-CO", name)


def units(records: Iterable[dict[str, str]]) -> list[UnitSpec]:
    companies = sorted({r["Company"] for r in records if r.get("Company")})
    return [UnitSpec(id="CFPB-HQ", name="CFPB", kind="hq"),
            UnitSpec(id=BRANCH, name="CFPB complaints", kind="branch", parent="CFPB-HQ"),
            *(UnitSpec(id=company_unit(c), name=c[:200], kind="outlet", parent=BRANCH) for c in companies)]


def starts_record(record: dict[str, str]) -> bool:
    """A line inside a multi-line narrative that happens to have the export's number of cells is still no
    complaint: a real row's `Complaint ID` is a number."""
    return record.get("Complaint ID", "").strip().isdigit()


def day(text: str) -> str:
    """`11/13/2014` or `2020-03-18` as noon UTC of that day."""
    for pattern in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).replace(hour=12, tzinfo=UTC).isoformat()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def actions(records: Iterable[tuple[int, dict[str, str]]]) -> Iterator[Row]:
    for line, record in records:
        raw = raw_line(record)
        try:
            yield from (Row(line, raw, data=a) for a in complaint(record))
        except (KeyError, ValueError) as error:
            yield Row(line, raw, error=f"cannot map this CFPB row: {error}")


def complaint(r: dict[str, str]) -> list[dict[str, Any]]:
    number, company = r.get("Complaint ID", ""), r.get("Company", "")
    if not number or not company:
        raise ValueError("no Complaint ID" if not number else "no Company")
    cid = f"CFPB-{number}"
    product = " / ".join(p for p in (r.get("Product", ""), r.get("Sub-product", "")) if p)
    out: list[dict[str, Any]] = [{"action_id": f"{cid}-received", "complaint_id": cid, "action": "received", "at": day(r["Date received"]),
            "outlet": company_unit(company), "channel": CHANNELS.get(r.get("Submitted via", "").lower(), "web"),
            "via": "cfpb", "kind": "complaint", "category": product[:4000], "customer_ref": cid}]
    sent = r.get("Date sent to company")
    if sent:
        out.append({"action_id": f"{cid}-sent", "complaint_id": cid, "action": "assigned", "at": day(sent),
                    "assignee": company_unit(company)})
    response = r.get("Company response to consumer") or r.get("Company response") or ""
    if response and response.lower() != "in progress":
        facts = {"company_response": response, "timely_response": r.get("Timely response?", ""),
                 "consumer_disputed": r.get("Consumer disputed?", "")}
        out.append({"action_id": f"{cid}-handled", "complaint_id": cid, "action": "handled",
                    "at": out[-1]["at"], "outcome": "resolved" if "relief" in response.lower()
                    and "without" not in response.lower() else "partial"})
        out.append({"action_id": f"{cid}-closed", "complaint_id": cid, "action": "closed", "at": out[-1]["at"],
                    "source": {k: v for k, v in facts.items() if v}})
    return out
