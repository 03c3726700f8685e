"""The written analysis of the monthly report: plain sentences from the figures, in Chinese or English.

Only what the figures say: the movements on the previous period and last year, the units that moved most,
new black-list entries, overdue remediation, SLA, service quality and fines. No sentence guesses a cause.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from plaintrail.labels import label


def money(value: str | Decimal | int | float) -> str:
    return f"{Decimal(str(value)):,.2f}"


def pct(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}%" if signed else f"{value:.1f}%"


def _change(now: int, before: int, pct_value: float | None, lang: str) -> str:
    if pct_value is None:
        return ("上期为零" if before == 0 and now else "持平") if lang == "zh" else (
            "from none" if now else "unchanged")
    if lang == "zh":
        return ("增长" if pct_value > 0 else "下降" if pct_value < 0 else "持平") + (
            f"{abs(pct_value):.1f}%" if pct_value else "")
    return ("up " if pct_value > 0 else "down " if pct_value < 0 else "unchanged") + (
        f"{abs(pct_value):.1f}%" if pct_value else "")


def sentences(f: dict[str, Any], lang: str) -> list[str]:
    zh = lang == "zh"
    out = []
    for h in f["headline"]:
        name = label(h["indicator"], lang)
        if zh:
            out.append(f"{name}{h['this_period']}件，环比{_change(h['this_period'], h['previous'], h['mom_pct'], lang)}"
                       f"（上期{h['previous']}件），同比{_change(h['this_period'], h['year_ago'], h['yoy_pct'], lang)}"
                       f"（去年同期{h['year_ago']}件）。")
        else:
            mom = _change(h["this_period"], h["previous"], h["mom_pct"], lang)
            yoy = _change(h["this_period"], h["year_ago"], h["yoy_pct"], lang)
            out.append(f"{name}: {h['this_period']}, {mom} on the previous period ({h['previous']}) and {yoy} on "
                       f"the same period last year ({h['year_ago']}).")
    moves = sorted((r for r in f["breakdown"] if r["complaints"] != r["complaints_previous"]),
                   key=lambda r: (-abs(r["complaints"] - r["complaints_previous"]), r["unit"]))[:3]
    if moves:
        parts = [f"{r['name'] or r['unit']}（{r['complaints_previous']}→{r['complaints']}）" if zh else
                 f"{r['name'] or r['unit']} ({r['complaints_previous']} to {r['complaints']})" for r in moves]
        out.append(("投诉量变动最大的是" + "、".join(parts) + "。") if zh else
                   ("The largest movements in complaints: " + ", ".join(parts) + "."))
    new_black = f["new_black"]
    if new_black:
        names = [r["name"] or r["unit"] for r in new_black]
        out.append((f"本期新进入黑榜{len(names)}个网点：" + "、".join(names) + "，建议安排驻点帮扶。") if zh else
                   (f"{len(names)} outlet(s) entered the black list this period: " + ", ".join(names)
                    + "; on-site help is proposed."))
    else:
        out.append("本期无新进入黑榜的网点。" if zh else "No outlet entered the black list this period.")
    late = [i for i in f["hot_issues"] if i["items_overdue"]]
    if late:
        parts = [f"{i['subject']}（{i['executive_name'] or i['executive']}，逾期{i['items_overdue']}项）" if zh else
                 f"{i['subject']} ({i['executive_name'] or i['executive']}, {i['items_overdue']} overdue)"
                 for i in late]
        out.append((f"截至期末，{len(late)}个热点问题的整改台账有逾期事项：" + "、".join(parts) + "。") if zh else
                   (f"At the period's end, {len(late)} hot issue(s) had overdue remediation items: "
                    + ", ".join(parts) + "."))
    elif f["hot_issues"]:
        out.append("截至期末，热点问题整改台账无逾期事项。" if zh else
                   "At the period's end no remediation item of a hot issue was overdue.")
    for s in f["sla"]:
        name = label(s["regime"], lang)
        out.append(f"{name}：按时率{pct(s['on_time_pct'], False)}，超时{s['breached']}件。" if zh else
                   f"{name}: {pct(s['on_time_pct'], False)} on time, {s['breached']} breached.")
    sv = f["service"]
    if sv["complaints"]:
        out.append(f"回访率{pct(sv['callback_coverage_pct'], False)}，满意率{pct(sv['satisfaction_pct'], False)}，"
                   f"调解{sv['mediations']}件（成功{sv['mediation_successes']}件），"
                   f"重复投诉{sv['repeats']}件。" if zh else
                   f"Callback coverage {pct(sv['callback_coverage_pct'], False)}, satisfaction "
                   f"{pct(sv['satisfaction_pct'], False)}, {sv['mediations']} mediation(s) "
                   f"({sv['mediation_successes']} successful), {sv['repeats']} repeat complaint(s).")
    t = f["people_totals"]
    if t["people"]:
        top = f["people"][0]
        out.append(f"本期{t['people']}人因有效投诉被罚款，合计{money(t['fines_cny'])}元、{t['points']}分；"
                   f"罚款最多的是{top['name'] or top['person']}（{money(top['fines_cny'])}元）。" if zh else
                   f"{t['people']} people were fined for effective complaints, {money(t['fines_cny'])} yuan and "
                   f"{t['points']} points in all; the largest fine: {top['name'] or top['person']} "
                   f"({money(top['fines_cny'])} yuan).")
    else:
        out.append("本期无人因有效投诉被罚款。" if zh else "Nobody was fined for an effective complaint this period.")
    return out
