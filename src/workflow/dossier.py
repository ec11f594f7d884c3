"""A zone's printable dossier (PDF): the application, every decision, the records, the ratings chart, the diagram.

Chinese text needs a CJK font embedded in the PDF. We look for a TrueType font that a Debian package
installs (fonts-wqy-microhei, fonts-wqy-zenhei, fonts-arphic-uming), or the file named by
``WORKFLOW_PDF_FONT``. Without one the PDF names reportlab's built-in STSong-Light, which viewers
substitute with a font of their own: the text is still there (and searchable), only not embedded.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import NextPageTemplate, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import PageTemplate
from reportlab.platypus.frames import Frame

from workflow.charts import Band, Point
from workflow.modelxml import layout

FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "/usr/share/fonts/truetype/arphic/uming.ttc")
GREEN, BLUE, RED, GREY = colors.HexColor("#1a7f37"), colors.HexColor("#0b5cad"), colors.HexColor("#b42318"), \
    colors.HexColor("#5b6472")


@cache
def font() -> tuple[str, bool]:
    """The CJK font's registered name, and whether it is embedded."""
    wanted = [os.environ.get("WORKFLOW_PDF_FONT", ""), *FONT_FILES]
    for path in (p for p in wanted if p and Path(p).is_file()):
        try:
            pdfmetrics.registerFont(TTFont("CJK", path, subfontIndex=0))
        except Exception:  # noqa: S112, BLE001 - an unreadable font file: try the next one
            continue
        return "CJK", True
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light", False


@dataclass
class Contents:
    """What the dossier prints, already in the reader's language."""

    title: str
    facts: Sequence[tuple[str, str]]
    application: Sequence[tuple[str, str]]
    decisions: Sequence[Sequence[str]]       # when, step, who, decision, comment
    records: Sequence[Sequence[str]]         # year, item, when, result
    ratings: Sequence[Point]
    bands: Sequence[Band]
    diagram_xml: str
    done: Sequence[str]
    current: Sequence[str]
    flows: Sequence[str]
    labels: dict[str, str]                   # headings and captions


def _styles(name: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=name, fontSize=9.5, leading=13, wordWrap="CJK")
    return {"body": base, "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
            "h1": ParagraphStyle("h1", parent=base, fontSize=18, leading=24, spaceAfter=6),
            "h2": ParagraphStyle("h2", parent=base, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4)}


def _table(rows: Sequence[Sequence[str]], header: Sequence[str], widths: Sequence[float], style) -> Table:
    def cell(text: str) -> Paragraph:
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    table = Table([[cell(h) for h in header]] + [[cell(c) for c in row] for row in rows], colWidths=widths,
                  repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#d8dde5")),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _ratings(points: Sequence[Point], bands: Sequence[Band], name: str, width: float) -> Drawing:
    """Scores (0-100) by calendar year over the rating bands."""
    height, left, bottom, top = 150, 40, 24, 8
    drawing = Drawing(width, height)
    inner_w, inner_h = width - left - 10, height - bottom - top

    def y(score: float) -> float:
        return bottom + max(0.0, min(score, 100.0)) / 100 * inner_h

    shades = ["#fdecea", "#fff5db", "#e8f0fb", "#e7f3ea"]
    for i, band in enumerate(bands):
        drawing.add(Rect(left, y(band.low), inner_w, y(band.high) - y(band.low), strokeColor=None,
                         fillColor=colors.HexColor(shades[i % len(shades)])))
        drawing.add(String(left + inner_w - 4, y(band.low) + 3, band.label, fontName=name, fontSize=7,
                           textAnchor="end", fillColor=GREY))
    for score in (0, 20, 40, 60, 80, 100):
        drawing.add(String(left - 4, y(score) - 3, str(score), fontName=name, fontSize=7, textAnchor="end"))
    step = inner_w / max(len(points), 1)
    coords = []
    for i, p in enumerate(points):
        x = left + step * (i + 0.5)
        coords += [x, y(p.score)]
        drawing.add(Circle(x, y(p.score), 3, fillColor=BLUE, strokeColor=BLUE))
        drawing.add(String(x, 8, p.label, fontName=name, fontSize=7, textAnchor="middle"))
    if len(points) > 1:
        drawing.add(PolyLine(coords, strokeColor=BLUE, strokeWidth=1.2))
    return drawing


def _shape(kind: str, x: float, y: float, w: float, h: float, stroke, width: float):
    if kind.endswith("Event"):
        r = min(w, h) / 2
        return Circle(x + w / 2, y + h / 2, r, strokeColor=stroke, strokeWidth=width, fillColor=colors.white)
    if kind.endswith("Gateway"):
        return Polygon([x + w / 2, y, x + w, y + h / 2, x + w / 2, y + h, x, y + h / 2], strokeColor=stroke,
                       strokeWidth=width, fillColor=colors.white)
    return Rect(x, y, w, h, rx=4, ry=4, strokeColor=stroke, strokeWidth=width, fillColor=colors.white)


def _diagram(c: Contents, name: str, width: float, height: float) -> Drawing:
    """The diagram from its BPMN DI, the path of the instance marked as on the zone page."""
    di = layout(c.diagram_xml)
    xs = [v[0] for v in di.shapes.values()] + [v[0] + v[2] for v in di.shapes.values()] or [0, 1]
    ys = [v[1] for v in di.shapes.values()] + [v[1] + v[3] for v in di.shapes.values()] or [0, 1]
    scale = min(width / (max(xs) - min(xs)), height / (max(ys) - min(ys)))
    drawing = Drawing((max(xs) - min(xs)) * scale, (max(ys) - min(ys)) * scale)

    def at(px: float, py: float) -> tuple[float, float]:  # BPMN DI has y downwards, PDF upwards
        return (px - min(xs)) * scale, (max(ys) - py) * scale

    for element_id, (x, y, w, h) in di.shapes.items():
        if di.kinds.get(element_id) in ("participant", "lane"):
            left, low = at(x, y + h)
            drawing.add(Rect(left, low, w * scale, h * scale, strokeColor=colors.HexColor("#d8dde5"),
                             fillColor=None, strokeWidth=0.4))
    for element_id, points in di.edges.items():
        flat = [v for p in points for v in at(*p)]
        taken = element_id in c.flows
        drawing.add(PolyLine(flat, strokeColor=GREEN if taken else GREY, strokeWidth=1.4 if taken else 0.5))
    for element_id, (x, y, w, h) in di.shapes.items():
        kind = di.kinds.get(element_id, "")
        if kind in ("participant", "lane"):
            continue
        stroke, line = (BLUE, 1.6) if element_id in c.current else (GREEN, 1.2) if element_id in c.done else \
            (GREY, 0.5)
        left, low = at(x, y + h)
        drawing.add(_shape(kind, left, low, w * scale, h * scale, stroke, line))
        label = di.names.get(element_id, "")
        if label and kind != "subProcess":
            middle = at(x + w / 2, y + h / 2 if kind.endswith("Task") else y + h + 8)
            drawing.add(String(middle[0], middle[1] - 2, label[:14], fontName=name, fontSize=max(3.5, 8 * scale),
                               textAnchor="middle"))
    return drawing


def render(c: Contents) -> bytes:
    """The dossier as PDF bytes."""
    name, _ = font()
    st = _styles(name)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=c.title, author=c.labels.get("author", ""))
    wide = landscape(A4)
    doc.addPageTemplates([PageTemplate("portrait", [Frame(16 * mm, 16 * mm, A4[0] - 32 * mm, A4[1] - 32 * mm)],
                                       pagesize=A4),
                          PageTemplate("landscape", [Frame(12 * mm, 12 * mm, wide[0] - 24 * mm, wide[1] - 24 * mm)],
                                       pagesize=wide)])
    full = A4[0] - 32 * mm
    story: list = [Paragraph(escape(c.title), st["h1"]),
                   _table(c.facts, ("", ""), (full * 0.25, full * 0.75), st["body"]),
                   Paragraph(escape(c.labels["application"]), st["h2"]),
                   _table(c.application, ("", ""), (full * 0.3, full * 0.7), st["small"]),
                   Paragraph(escape(c.labels["decisions"]), st["h2"]),
                   _table(c.decisions, c.labels["decision_header"].split("|"),
                          (full * 0.17, full * 0.2, full * 0.2, full * 0.13, full * 0.3), st["small"])]
    if c.records:
        story += [Paragraph(escape(c.labels["records"]), st["h2"]),
                  _table(c.records, c.labels["record_header"].split("|"),
                         (full * 0.1, full * 0.3, full * 0.2, full * 0.4), st["small"])]
    if c.ratings:
        story += [Paragraph(escape(c.labels["ratings"]), st["h2"]), _ratings(c.ratings, c.bands, name, full)]
    story += [NextPageTemplate("landscape"), PageBreak(), Paragraph(escape(c.labels["diagram"]), st["h2"]),
              _diagram(c, name, wide[0] - 24 * mm, wide[1] - 50 * mm), Spacer(1, 4),
              Paragraph(escape(c.labels["legend"]), st["small"])]
    doc.build(story)
    return out.getvalue()


Translate = Callable[[str], str]
