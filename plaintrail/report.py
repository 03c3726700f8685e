"""The monthly report for the committee: one document (sections of paragraphs, complete tables and charts)
written as HTML and as a paged PDF (`plaintrail.report_pdf`), so both always hold the same rows."""

from __future__ import annotations

import base64
import html
import io
import logging
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# A CJK font with one weight makes matplotlib say "Failed to find font weight" per chart: noise, not a problem.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

from plaintrail import analysis  # noqa: E402
from plaintrail.analysis import money, pct  # noqa: E402
from plaintrail.labels import label  # noqa: E402

TEXT = {
    "title": ("Monthly analysis of all work orders", "全量工单月度分析"),
    "bank": ("Bank", "银行"), "unit": ("Unit", "机构"), "period": ("Period", "报告期"),
    "as_of": ("Figures as of", "数据截至"), "generated": ("Generated", "生成时间"),
    "compared": ("Compared with", "对比期"), "signoff": ("Sign-off", "审签"),
    "prepared": ("Prepared by", "编制"), "reviewed": ("Reviewed by", "审核"),
    "approved": ("Approved by (consumer-protection committee)", "审批（消保委）"),
    "signature": ("Signature", "签字"), "date": ("Date", "日期"),
    "s_headline": ("1. Headline figures", "一、总体情况"), "s_analysis": ("2. Analysis", "二、分析"),
    "s_charts": ("3. Volumes and trends", "三、数量与趋势"),
    "s_breakdown": ("4. The three core indicators by {level}", "四、三大核心指标（按{level}）"),
    "s_lists": ("5. Red and black lists", "五、红黑榜"), "s_sla": ("6. Deadlines (SLA)", "六、时效"),
    "s_service": ("7. Callbacks, satisfaction, mediation and repeats", "七、回访、满意度、调解与重复投诉"),
    "s_hot": ("8. Hot issues and remediation ledgers", "八、热点问题与整改台账"),
    "s_people": ("9. Fines and points, every person", "九、罚款与扣分（全部人员）"),
    "trend": ("The three core indicators, last 12 months", "三大核心指标（近12个月）"),
    "channel": ("Volume by channel", "按渠道"), "category": ("Volume by category (top 10)", "按类别（前十）"),
    "sla_chart": ("SLA breaches by regime", "各时效规则超时件数"),
    "whole": ("Whole unit", "全辖"), "corrections": ("Corrections recorded in the period: {n}", "本期更正记录：{n}条"),
    "totals_line": ("{work_orders} {w} · {complaints} {c} · {regulator_transferred} {r} · {effective} {e}",
                    "{work_orders}{w} · {complaints}{c} · {regulator_transferred}{r} · {effective}{e}"),
    "people_total": ("{n} people, {fines} yuan, {points} points, {complaints} complaints",
                     "共{n}人，罚款{fines}元，{points}分，涉及投诉{complaints}件"),
    "none": ("none", "无"), "page": ("Page {page} of {pages}", "第 {page} 页 / 共 {pages} 页"),
}


def say(key: str, lang: str, **values: Any) -> str:
    en, zh = TEXT[key]
    return (zh if lang == "zh" else en).format(**values)


@dataclass
class Table:
    columns: list[str]  # labels, as a person reads them
    rows: list[list[str]]
    widths: list[float]  # relative
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    total: list[str] | None = None  # a closing row in bold


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, Table]] = field(default_factory=list)  # (caption, table)
    charts: list[tuple[str, bytes]] = field(default_factory=list)  # (key, PNG)


@dataclass
class Document:
    lang: str
    title: str
    cover: list[tuple[str, str]]  # (label, value)
    signoff: list[str]
    totals: str
    sections: list[Section]
    signoff_title: str = ""
    signature: str = ""
    date: str = ""
    none: str = ""
    header: str = ""  # the running head of every page after the cover


def use_cjk_font() -> str | None:
    """Register a CJK font the system has (e.g. WenQuanYi from Debian) for the charts; its file, or None."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in sorted(listed.splitlines()):
        path = line.split(":")[0].strip()
        if path.endswith((".ttf", ".ttc", ".otf")):
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
            plt.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
            plt.rcParams["axes.unicode_minus"] = False  # CJK fonts lack U+2212
            return path
    return None


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=130)
    plt.close(fig)
    return buffer.getvalue()


def charts(f: dict[str, Any], lang: str) -> list[tuple[str, bytes]]:
    out = []
    fig, ax = plt.subplots(figsize=(8, 3.0))
    months = [t["month"] for t in f["trend"]]
    for name in ("work_orders", "complaints", "regulator_transferred"):
        ax.plot(months, [t[name] for t in f["trend"]], marker="o", label=label(name, lang))
    ax.legend(fontsize=7)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax.set_title(say("trend", lang), fontsize=10)
    out.append(("trend", _png(fig)))
    for key, pairs in (("channel", f["by_channel"]), ("category", f["by_category"]),
                       ("sla_chart", f["sla_breaches"])):
        fig, ax = plt.subplots(figsize=(8, 0.6 + 0.28 * max(len(pairs), 2)))
        names = [label(p[0], lang) if key != "category" else p[0] for p in pairs]
        values = [p[1] for p in pairs]
        ax.barh(names[::-1] or [say("none", lang)], values[::-1] or [0], color="#b22222")
        ax.tick_params(axis="y", labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(say(key, lang), fontsize=10)
        out.append((key.removesuffix("_chart"), _png(fig)))
    return out


def _n(value: Any) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _who(name: str, ident: str) -> str:
    return f"{name} ({ident})" if name and name != ident else ident


def document(f: dict[str, Any], lang: str) -> Document:
    zh = lang == "zh"
    cover = [(say("bank", lang), f["bank_name"]), (say("unit", lang), _who(f["unit_name"], f["unit"])),
             (say("period", lang), f["period"]),
             (say("compared", lang), f"{f['previous_period']} · {f['year_ago_period']}"),
             (say("as_of", lang), f["as_of"]),
             (say("generated", lang), f.get("generated", ""))]
    t = f["totals"]
    totals = say("totals_line", lang, w=t["work_orders"], c=t["complaints"], r=t["regulator_transferred"],
                 e=t["effective"], **{k: label(k, lang).lower() if not zh else label(k, lang) for k in t})
    sections = [headline(f, lang), Section(say("s_analysis", lang), analysis.sentences(f, lang)),
                Section(say("s_charts", lang), charts=charts(f, lang)), breakdown(f, lang), lists(f, lang),
                sla(f, lang), service(f, lang), hot(f, lang), people(f, lang)]
    return Document(lang, say("title", lang), cover, [say(k, lang) for k in ("prepared", "reviewed", "approved")],
                    totals, sections, say("signoff", lang), say("signature", lang), say("date", lang),
                    say("none", lang), f"{f['bank_name']} · {say('title', lang)} · {f['unit_name']} · {f['period']}")


def headline(f: dict[str, Any], lang: str) -> Section:
    cols = ["indicator", "this_period", "previous", "mom_pct", "year_ago", "yoy_pct"]
    rows = [[label(h["indicator"], lang), str(h["this_period"]), str(h["previous"]), pct(h["mom_pct"]),
             str(h["year_ago"]), pct(h["yoy_pct"])] for h in f["headline"]]
    return Section(say("s_headline", lang), [f"{say('period', lang)} {f['period']} · {say('compared', lang)} "
                                             f"{f['previous_period']}, {f['year_ago_period']}"],
                   [("", Table([label(c, lang) for c in cols], rows, [3, 1.3, 1.3, 1.5, 1.5, 1.5], {1, 2, 3, 4, 5}))])


def breakdown(f: dict[str, Any], lang: str) -> Section:
    level = label(f["breakdown_level"], lang)
    per, rank = label("per_10k", lang), label("rank_of", lang)
    cols = [label("unit_name", lang)]
    for c in ("work_orders", "complaints", "regulator_transferred"):
        cols += [label(c, lang), per, rank]
    cols.append(label("tied_rank", lang))
    rows = []
    for r in f["breakdown"]:
        row = [_who(r["name"], r["unit"])]
        for c in ("work_orders", "complaints", "regulator_transferred"):
            row += [str(r[c]), _n(r[f"{c}_per_10k"]), _n(r[f"{c}_rank"])]
        row.append(str(r["tied_rank"]))
        rows.append(row)
    return Section(say("s_breakdown", lang, level=level), [], [("", Table(
        cols, rows, [3.2] + [1] * 10, set(range(1, 11))))])


def lists(f: dict[str, Any], lang: str) -> Section:
    cols = ["tied_rank", "unit_name", "bank_tied_rank", "regulator_transferred", "complaints", "complaints_per_10k",
            "complaints_change_pct"]
    note = f["list_note"]
    if lang == "zh" and (f["red"] or f["black"]):
        first = (f["red"] or f["black"])[0]
        note = (f"红榜{len(f['red'])}个、黑榜{len(f['black'])}个网点（政策版本{first['list_policy_version']}，每榜"
                f"{first['list_size']}个，与第{first['list_size']}名并列者按政策处理；黑榜仅列有监管转办件的网点）。")
    out = Section(say("s_lists", lang), [note] if note else [])
    for key in ("red", "black"):
        rows = [[str(r["tied_rank"]), _who(r["name"], r["unit"]), _n(r.get("bank_tied_rank")),
                 str(r["regulator_transferred"]), str(r["complaints"]), _n(r["complaints_per_10k"]),
                 pct(r["complaints_change_pct"])] for r in f[key]]
        out.tables.append((label(key, lang), Table([label(c, lang) for c in cols], rows,
                                                   [0.8, 3.4, 1, 1.2, 1, 1.3, 1.3], {0, 2, 3, 4, 5, 6})))
    return out


def sla(f: dict[str, Any], lang: str) -> Section:
    cols = ["regime", "on_time", "breached", "at_risk", "open", "paused", "ended", "on_time_pct"]
    rows = [[label(r["regime"], lang), *(str(r[c]) for c in cols[1:-1]), pct(r["on_time_pct"], False)]
            for r in f["sla"]]
    return Section(say("s_sla", lang), [], [("", Table([label(c, lang) for c in cols], rows,
                                                       [3.2, 1, 1, 1, 1, 1, 1, 1.2], set(range(1, 8))))])


def service(f: dict[str, Any], lang: str) -> Section:
    cols = ["complaints", "callbacks", "callback_coverage_pct", "satisfied", "satisfaction_pct", "mediations",
            "mediation_successes", "mediation_amount_cny", "repeats", "repeat_pct"]

    def cells(r: dict[str, Any]) -> list[str]:
        return [money(r[c]) if c.endswith("_cny") else pct(r[c], False) if c.endswith("_pct") else str(r[c])
                for c in cols]

    rows = [[_who(r.get("name", ""), r["unit"]), *cells(r)] for r in f["service_by_unit"]]
    total = [say("whole", lang), *cells(f["service"])]
    return Section(say("s_service", lang), [], [("", Table(
        [label("unit_name", lang)] + [label(c, lang) for c in cols], rows, [2.6] + [1] * 10, set(range(1, 11)),
        total))])


def hot(f: dict[str, Any], lang: str) -> Section:
    cols = ["issue_id", "subject", "executive", "opened_at", "in_month", "items_closed", "items_open",
            "items_overdue", "closed_at"]
    rows = [[i["issue_id"], i["subject"], _who(i.get("executive_name", ""), i["executive"]),
             i["opened_at"].date().isoformat(), ", ".join(label(m, lang) for m in i["in_month"]),
             str(i["items_closed"]), str(i["items_open"]), str(i["items_overdue"]),
             i["closed_at"].date().isoformat() if i["closed_at"] else "—"] for i in f["hot_issues"]]
    return Section(say("s_hot", lang), [], [("", Table([label(c, lang) for c in cols], rows,
                                                       [2.6, 2.2, 2.2, 1.4, 1.4, 0.9, 0.9, 0.9, 1.4], {5, 6, 7}))])


def people(f: dict[str, Any], lang: str) -> Section:
    cols = ["person_name", "person", "roles", "fines_cny", "points", "complaints"]
    rows = [[p["name"], p["person"], "、".join(label(r, lang) for r in p["roles"]) if lang == "zh" else
             ", ".join(label(r, lang) for r in p["roles"]), money(p["fines_cny"]), str(p["points"]),
             str(p["complaints"])] for p in f["people"]]
    t = f["people_totals"]
    total = [label("total", lang), str(t["people"]), "", money(t["fines_cny"]), str(t["points"]), str(t["complaints"])]
    paragraphs = [say("people_total", lang, n=t["people"], fines=money(t["fines_cny"]), points=t["points"],
                      complaints=t["complaints"])]
    if f["corrections"]:
        paragraphs.append(say("corrections", lang, n=f["corrections"]))
    return Section(say("s_people", lang), paragraphs, [("", Table(
        [label(c, lang) for c in cols], rows, [2.4, 1.6, 2.6, 1.6, 1, 1], {3, 4, 5}, total))])


def to_html(doc: Document) -> str:
    e = html.escape
    parts = [f"<h1>{e(doc.title)} · {e(doc.cover[1][1])} · {e(doc.cover[2][1])}</h1>",
             "<table class='cover'>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in doc.cover)
             + "</table>", f"<p class='totals'>{e(doc.totals)}</p>"]
    for s in doc.sections:
        parts.append(f"<h2>{e(s.title)}</h2>")
        parts += [f"<p>{e(p)}</p>" for p in s.paragraphs]
        for key, png in s.charts:
            parts.append(f"<img alt='{key}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
        for caption, t in s.tables:
            if caption:
                parts.append(f"<h3>{e(caption)}</h3>")
            if not t.rows:
                parts.append(f"<p>{e(say('none', doc.lang))}</p>")
                continue
            head = "".join(f"<th>{e(c)}</th>" for c in t.columns)

            def line(cells: list[str], tag: str = "td", t: Table = t) -> str:
                return "<tr>" + "".join(f"<{tag}{' class=n' if i in t.numeric else ''}>{e(c)}</{tag}>"
                                        for i, c in enumerate(cells)) + "</tr>"

            body = "".join(line(r) for r in t.rows) + (line(t.total, "th") if t.total else "")
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append(f"<h2>{e(say('signoff', doc.lang))}</h2><table class='signoff'><tr><th></th>"
                 f"<th>{e(say('signature', doc.lang))}</th><th>{e(say('date', doc.lang))}</th></tr>"
                 + "".join(f"<tr><th>{e(r)}</th><td></td><td></td></tr>" for r in doc.signoff) + "</table>")
    style = ("body{font-family:sans-serif;max-width:64em;margin:auto}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%;text-align:left}td.n{text-align:right}"
             "h1{color:#8b0000}.signoff td{width:12em;height:2.5em}img{max-width:100%}")
    return (f"<!doctype html><html lang='{doc.lang}'><meta charset='utf-8'><title>{e(doc.title)}</title>"
            f"<style>{style}</style><body>{''.join(parts)}</body></html>")


def write(f: dict[str, Any], out: Path, lang: str = "zh") -> tuple[Path, Path]:
    from plaintrail import report_pdf

    font = use_cjk_font()
    out.mkdir(parents=True, exist_ok=True)
    stem = f"report-{f['unit']}-{f['period']}-{lang}"
    doc = document(f, lang)
    pdf_path, html_path = out / f"{stem}.pdf", out / f"{stem}.html"
    html_path.write_text(to_html(doc), encoding="utf-8")
    report_pdf.write(doc, pdf_path, font, lambda page, pages: say("page", lang, page=page, pages=pages))
    return html_path, pdf_path
