"""The monthly report for the committee: an HTML file and a PDF with the same charts and tables."""

from __future__ import annotations

import base64
import html
import io
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

LABELS = {
    "title": ("Monthly analysis of all work orders", "全量工单月度分析"),
    "totals": ("Work orders, complaints, regulator-transferred, effective", "工单量、投诉量、监管转办件、有效投诉"),
    "channel": ("Volume by channel", "按渠道"), "category": ("Volume by category (top 10)", "按类别（前十）"),
    "trend": ("The three core indicators, last 12 months", "三大核心指标（近12个月）"),
    "red": ("Red list", "红榜"), "black": ("Black list", "黑榜"),
    "sla": ("SLA breaches by regime", "各时效规则超时件数"), "hot": ("Hot issues and ledgers", "热点问题与整改台账"),
    "people": ("Fines and points by person", "个人罚款与扣分"), "none": ("none", "无"),
    "work_orders": ("work orders", "工单"), "complaints": ("complaints", "投诉"),
    "regulator_transferred": ("regulator-transferred", "监管转办"), "effective": ("effective", "有效投诉"),
}


def label(key: str, lang: str) -> str:
    en, zh = LABELS[key]
    return zh if lang == "zh" else en


def use_cjk_font() -> None:
    """Register a CJK font the system has (e.g. WenQuanYi from Debian), so Chinese labels render."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return
    for line in listed.splitlines():
        path = line.split(":")[0].strip()
        if path:
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
            plt.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
            return


def draw(key: str, ax: Any, f: dict[str, Any], lang: str) -> None:
    """One chart of the report on the given axes."""
    if key == "trend":
        months = [t["month"] for t in f["trend"]]
        for name in ("work_orders", "complaints", "regulator_transferred"):
            ax.plot(months, [t[name] for t in f["trend"]], marker="o", label=label(name, lang))
        ax.legend(fontsize=7)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    else:
        pairs = {"channel": f["by_channel"], "category": f["by_category"], "sla": f["sla_breaches"]}[key]
        names, values = [p[0] for p in pairs], [p[1] for p in pairs]
        ax.barh(names[::-1] or [label("none", lang)], values[::-1] or [0], color="#b22222")
        ax.tick_params(axis="y", labelsize=7)
    ax.set_title(label(key, lang), fontsize=10)


CHARTS = ("trend", "channel", "category", "sla")


def charts(f: dict[str, Any], lang: str) -> list[tuple[str, Any]]:
    out = []
    for key in CHARTS:
        fig, ax = plt.subplots(figsize=(8, 3.2))
        draw(key, ax, f, lang)
        fig.tight_layout()
        out.append((key, fig))
    return out


def chart_page(f: dict[str, Any], lang: str) -> Any:
    """All four charts on one A4 page for the PDF."""
    fig, axes = plt.subplots(4, 1, figsize=(8.27, 11.69))
    for key, ax in zip(CHARTS, axes, strict=True):
        draw(key, ax, f, lang)
    fig.tight_layout(pad=2.0)
    return fig


def tables(f: dict[str, Any], lang: str) -> list[tuple[str, list[str], list[list[Any]]]]:
    board_cols = ["tied_rank", "unit", "name", "bank_tied_rank", "regulator_transferred", "complaints",
                  "complaints_change_pct"]

    def cell(value: Any) -> Any:
        return "—" if value is None else value

    return [
        ("red", board_cols, [[cell(r[c]) for c in board_cols] for r in f["red"]]),
        ("black", board_cols, [[cell(r[c]) for c in board_cols] for r in f["black"]]),
        ("hot", ["issue_id", "subject", "executive", "items_open", "items_overdue", "closed"],
         [[i["issue_id"], i["subject"], i["executive"], i["items_open"], i["items_overdue"],
           "yes" if i["closed_at"] else "no"] for i in f["hot_issues"]]),
        ("people", ["person", "name", "fines_cny", "points", "complaints"],
         [[p["person"], p["name"], p["fines_cny"], p["points"], len({e["complaint_id"] for e in p["entries"]})]
          for p in f["people"]]),
    ]


def write(f: dict[str, Any], out: Path, lang: str = "zh") -> tuple[Path, Path]:
    use_cjk_font()
    out.mkdir(parents=True, exist_ok=True)
    stem = f"report-{f['unit']}-{f['period']}-{lang}"
    figures = charts(f, lang)
    heading = f"{label('title', lang)} · {f['unit_name']} · {f['period']}"
    totals = " · ".join(f"{label(k, lang)} {v}" for k, v in f["totals"].items())
    pdf_path, html_path = out / f"{stem}.pdf", out / f"{stem}.html"
    with PdfPages(pdf_path) as pdf:
        cover = plt.figure(figsize=(8.27, 11.69))
        cover.text(0.5, 0.93, heading, ha="center", fontsize=15, weight="bold")
        cover.text(0.5, 0.89, totals, ha="center", fontsize=9)
        cover.text(0.07, 0.865, textwrap.fill(f.get("list_note", ""), 120), fontsize=6, va="top")
        y = 0.82
        for key, columns, rows in tables(f, lang):
            cover.text(0.07, y, label(key, lang), fontsize=11, weight="bold")
            shown = rows[:8] or [[label("none", lang)] + [""] * (len(columns) - 1)]
            height = 0.022 * (len(shown) + 1)
            axes = cover.add_axes((0.07, y - 0.01 - height, 0.86, height))
            axes.axis("off")
            table = axes.table(cellText=[[str(c)[:28] for c in r] for r in shown], colLabels=columns,
                               loc="upper left", cellLoc="left")
            table.auto_set_font_size(False)
            table.set_fontsize(7)
            y -= height + 0.05
        pdf.savefig(cover)
        plt.close(cover)
        page = chart_page(f, lang)
        pdf.savefig(page)
        plt.close(page)
    parts = [f"<h1>{html.escape(heading)}</h1><p>{html.escape(totals)}</p>"
             f"<p class='lists'>{html.escape(f.get('list_note', ''))}</p>"]
    for key, fig in figures:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        plt.close(fig)
        parts.append(f"<h2>{html.escape(label(key, lang))}</h2>"
                     f"<img alt='{key}' src='data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}'>")
    for key, columns, rows in tables(f, lang):
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
        parts.append(f"<h2>{html.escape(label(key, lang))}</h2><table><tr>{head}</tr>{body or ''}</table>"
                     + ("" if rows else f"<p>{label('none', lang)}</p>"))
    style = "body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse}" \
            "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}h1{color:#8b0000}"
    html_path.write_text(f"<!doctype html><html lang='{lang}'><meta charset='utf-8'><title>{html.escape(heading)}"
                         f"</title><style>{style}</style><body>{''.join(parts)}</body></html>", encoding="utf-8")
    return html_path, pdf_path
