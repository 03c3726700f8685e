"""The report's PDF, laid out by ReportLab's platypus: tables flow onto further pages with their header row
repeated, every cell wraps (nothing is cut), each page carries its number and the total.

Chinese needs a CJK font: a TrueType one the system has is embedded (Debian's fonts-wqy-zenhei); without
one, ReportLab's built-in STSong-Light (Adobe's CID font, which every PDF reader supplies) is used, so a
fresh machine needs no font package.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from plaintrail.report import Document
from plaintrail.report import Table as Rows

CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef\u3000-\u303f]")
FALLBACK = "STSong-Light"
MARGIN = 16 * mm


def font(path: str | None) -> str:
    """The font's registered name: the system's CJK TrueType font if it loads, else the built-in CID font."""
    if path and path.endswith((".ttf", ".ttc")):
        try:
            pdfmetrics.registerFont(TTFont("ReportCJK", path, subfontIndex=0))
            return "ReportCJK"
        except Exception:  # noqa: BLE001 - e.g. a CFF-flavoured font ReportLab cannot embed: use the fallback
            pass
    if FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK


class Styles:
    def __init__(self, name: str) -> None:
        base = ParagraphStyle("base", fontName=name, fontSize=9.5, leading=13)
        self.body = base
        self.title = ParagraphStyle("title", base, fontSize=20, leading=26, spaceAfter=6 * mm,
                                    textColor=colors.HexColor("#8b0000"))
        self.h2 = ParagraphStyle("h2", base, fontSize=13, leading=17, spaceBefore=5 * mm, spaceAfter=2 * mm,
                                 textColor=colors.HexColor("#8b0000"))
        self.h3 = ParagraphStyle("h3", base, fontSize=10.5, leading=14, spaceBefore=2 * mm, spaceAfter=1 * mm)
        self.cell = ParagraphStyle("cell", base, fontSize=7.5, leading=9.5)
        self.number = ParagraphStyle("number", self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", self.cell, textColor=colors.white)


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph that wraps anywhere when it holds CJK text (Chinese has no spaces to break at)."""
    if CJK.search(text):
        style = ParagraphStyle(style.name + "-cjk", style, wordWrap="CJK")
    return Paragraph(escape(text), style)


def table(rows: Rows, width: float, s: Styles) -> Table:
    scale = width / sum(rows.widths)
    widths = [w * scale for w in rows.widths]
    data: list[list[Any]] = [[para(c, s.head) for c in rows.columns]]
    for r in rows.rows:
        data.append([para(c, s.number if i in rows.numeric else s.cell) for i, c in enumerate(r)])
    if rows.total:
        data.append([para(c, s.number if i in rows.numeric else s.cell) for i, c in enumerate(rows.total)])
    style = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#8b0000")),
             ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5), ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
             ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
             *[("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f6eeee")) for i in range(2, len(data), 2)]]
    if rows.total:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#e8d6d6")))
    return Table(data, colWidths=widths, repeatRows=1, style=TableStyle(style))


def numbered(name: str, header: str, number: Callable[[int, int], str]) -> type[canvas.Canvas]:
    """A canvas that holds its pages back until the end, so each can say 'page n of N'."""

    class Numbered(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(name, 8)
                self.setFillColor(colors.HexColor("#555555"))
                width, height = A4
                self.drawCentredString(width / 2, 9 * mm, number(self._pageNumber, total))
                if self._pageNumber > 1:
                    self.drawString(MARGIN, height - 10 * mm, header)
                super().showPage()
            super().save()

    return Numbered


def write(doc: Document, path: Path, font_path: str | None, number: Callable[[int, int], str]) -> None:
    name = font(font_path)
    s = Styles(name)
    width = A4[0] - 2 * MARGIN
    story: list[Any] = [Spacer(1, 25 * mm), para(doc.title, s.title)]
    cover = Table([[para(k, s.body), para(v, s.body)] for k, v in doc.cover], colWidths=[45 * mm, width - 45 * mm],
                  style=TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [cover, Spacer(1, 6 * mm), para(doc.totals, s.body), Spacer(1, 20 * mm)]
    blank = para(" ", s.body)
    signoff = Table([[blank, para(doc.signature, s.h3), para(doc.date, s.h3)]]
                    + [[para(r, s.body), blank, blank] for r in doc.signoff],
                    colWidths=[70 * mm, (width - 70 * mm) * 0.6, (width - 70 * mm) * 0.4],
                    rowHeights=[8 * mm] + [16 * mm] * len(doc.signoff),
                    style=TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                      ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [KeepTogether([para(doc.signoff_title, s.h2), signoff]), PageBreak()]
    for section in doc.sections:
        story.append(para(section.title, s.h2))
        story += [para(p, s.body) for p in section.paragraphs]
        for _, png in section.charts:
            w, h = ImageReader(io.BytesIO(png)).getSize()
            story.append(Image(io.BytesIO(png), width=width, height=width * h / w))
        for caption, rows in section.tables:
            if caption:
                story.append(para(caption, s.h3))
            story.append(table(rows, width, s) if rows.rows else para(doc.none, s.body))
    pdf = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=doc.title, author=doc.cover[0][1])
    pdf.build(story, canvasmaker=numbered(name, doc.header, number))
