"""Render a volunteer-service record certificate or an internship certificate (R25) as PDF.

The content follows 民政部《志愿服务记录与证明出具办法（试行）》: the volunteer's identity,
service content, places, dates and hours (actual service time, travel excluded), the
recording organisations, the issuing organisation, date and contact.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from volunteer.reports.documents import (
    CertificateDoc,
    CertificateEntry,
    date_text,
    hours_text,
    month_text,
)
from volunteer.reports.pdf_style import (
    ACCENT,
    FONT,
    HEADER_FILL,
    RULE,
    TOTAL_FILL,
    markup,
    numbered_canvas,
    paragraph_styles,
)

_MARGIN = 22 * mm
_WIDTH = A4[0] - 2 * _MARGIN - 12  # the frame keeps 6 pt of padding each side
_BORDER = colors.HexColor("#8c1d18")
_STYLES = paragraph_styles()
_WATERMARK = "已作废 / 已被更新"
_NOTES = {
    "volunteer": (
        "注：服务时长为实际提供志愿服务的时间，不含往返交通时间，以小时计，保留一位小数；"
        "服务记录由上列记录单位如实记录并确认。本证明依据《志愿服务记录与证明出具办法（试行）》出具。"
    ),
    "internship": (
        "注：实习时长为实际在岗实习的时间，不含往返交通时间，以小时计，保留一位小数；"
        "实习记录由上列实习单位如实记录并确认。实习时长与志愿服务时长分别证明。"
    ),
}
_WORDS = {
    "volunteer": {
        "act": "参加志愿服务",
        "hours": "志愿服务时长",
        "unit": "记录单位",
        "place": "服务地点",
        "content": "服务内容",
        "records": "二、服务记录",
    },
    "internship": {
        "act": "参加实习",
        "hours": "实习时长",
        "unit": "实习单位",
        "place": "实习地点",
        "content": "实习内容",
        "records": "二、实习记录",
    },
}


def _p(text: str, style: str = "cell", **overrides: Any) -> Paragraph:
    base = _STYLES[style]
    if overrides:
        base = base.clone(f"{style}_custom", **overrides)
    return Paragraph(markup(text), base)


def _lines(text: str, style: str = "cell") -> Paragraph:
    return Paragraph("<br/>".join(markup(line) for line in text.split("\n")), _STYLES[style])


def _scaled(widths: tuple[float, ...]) -> list[float]:
    total = sum(widths)
    return [_WIDTH * width / total for width in widths]


def _identity_table(doc: CertificateDoc) -> Table:
    words = _WORDS[doc.kind]
    rows = [
        ("姓名", doc.student_name, "证件类型", doc.id_type),
        ("证件号码", doc.id_number_masked, "志愿者编号", doc.volunteer_number or "—"),
        ("学校", doc.university, "证明期间", doc.period_text),
        (
            f"累计{words['hours']}",
            f"{hours_text(doc.total_minutes, 1)} 小时",
            "证明编号",
            doc.number or doc.code,
        ),
    ]
    data = [[_p(a, "meta"), _p(b, "meta"), _p(c, "meta"), _p(d, "meta")] for a, b, c, d in rows]
    table = Table(data, colWidths=_scaled((30, 46, 22, 52)))
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (0, -1), HEADER_FILL),
                ("BACKGROUND", (2, 0), (2, -1), HEADER_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _entry_row(index: int, entry: CertificateEntry) -> list[Paragraph]:
    days = f"{date_text(entry.first_day)}\n至 {date_text(entry.last_day)}"
    return [
        _p(str(index), "cell_head"),
        _p(entry.enterprise_name),
        _p("、".join(entry.site_names) or "—"),
        _lines(days),
        _p(entry.service_content),
        _p(hours_text(entry.minutes, 1), "cell_num"),
    ]


def _entries_table(doc: CertificateDoc) -> Table:
    words = _WORDS[doc.kind]
    heads = ("序号", words["unit"], words["place"], "起止日期", words["content"], "时长\n（小时）")
    data: list[list[Any]] = [[_lines(head, "cell_head") for head in heads]]
    data += [_entry_row(index, entry) for index, entry in enumerate(doc.entries, start=1)]
    data.append(
        [_p("合计", "cell_head"), "", "", "", "", _p(hours_text(doc.total_minutes, 1), "cell_num")]
    )
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL),
        ("SPAN", (0, -1), (-2, -1)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("NOSPLIT", (0, -2), (-1, -1)),
    ]
    return Table(
        data, colWidths=_scaled((11, 32, 27, 33, 40, 18)), repeatRows=1, style=TableStyle(style)
    )


def _qr_code(url: str, size: float = 30 * mm) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    return drawing


class _Seal(Flowable):
    """The union's seal, drawn over the issuer's lines as a stamp is (it takes no room)."""

    def __init__(self, png: bytes, size: float, dx: float, dy: float) -> None:
        super().__init__()
        self.image = ImageReader(io.BytesIO(png))
        self.size, self.dx, self.dy = size, dx, dy
        self.width = self.height = 0

    def draw(self) -> None:
        self.canv.drawImage(
            self.image,
            self.dx,
            self.dy,
            self.size,
            self.size,
            mask="auto",
            preserveAspectRatio=True,
            anchor="c",
        )


def _closing_block(doc: CertificateDoc) -> Table:
    qr = [
        _qr_code(doc.verify_url),
        _p("扫码验证真伪", "cell_head"),
        _p(doc.verify_url, "small", wordWrap="CJK"),
    ]
    lines = [
        f"出具单位：{doc.issuing_union_name}（盖章）",
        f"负责人：{doc.leader_name or '—'}",
        f"经办人：{doc.handler_name or '—'}",
        f"联系方式：{doc.contact or '—'}",
        f"证明编号：{doc.number or doc.code}",
        f"出具日期：{date_text(doc.issued_on)}",
    ]
    issuer: list[Flowable] = [_p("特此证明。", "body"), Spacer(1, 6 * mm)]
    issuer += [_p(line, "body", wordWrap="CJK") for line in lines]
    if doc.seal_png:
        # Over the union's name and the date, where a paper certificate is stamped.
        issuer.append(_Seal(doc.seal_png, 36 * mm, 52 * mm, 16 * mm))
    table = Table([[qr, issuer]], colWidths=_scaled((38, 62)))
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LEFTPADDING", (1, 0), (1, 0), 14 * mm),
            ]
        )
    )
    return table


def _evaluations_table(doc: CertificateDoc) -> Table:
    heads = ("月份", "实习单位", "评分", "评语")
    data: list[list[Any]] = [[_p(head, "cell_head") for head in heads]]
    for item in doc.evaluations:
        data.append(
            [
                _p(month_text(item["month"])),
                _p(item["enterprise_name"]),
                _p(f"{item['rating']} 分（满分 5 分）"),
                _p(item.get("comment") or "—", wordWrap="CJK"),
            ]
        )
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    return Table(data, colWidths=_scaled((18, 32, 22, 60)), repeatRows=1, style=TableStyle(style))


def _superseded_banner() -> Table:
    text = "本证明已作废：所记录的时长已被更新，请扫描下方二维码查看最新有效证明。"
    banner = Table([[_p(text, "meta", textColor=ACCENT)]], colWidths=(_WIDTH,))
    banner.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1, ACCENT),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdecea")),
            ]
        )
    )
    return banner


def _story(doc: CertificateDoc) -> list[Flowable]:
    words = _WORDS[doc.kind]
    story: list[Flowable] = [
        _p(doc.title, "title", fontSize=26, leading=36),
        _p(f"证明编号：{doc.number or doc.code}", "subtitle"),
        Spacer(1, 6 * mm),
    ]
    if doc.is_superseded:
        story += [_superseded_banner(), Spacer(1, 4 * mm)]
    lead = (
        # The masked ID number stays in the table: wrapping could split it at an asterisk.
        f"兹证明{doc.university}学生{doc.student_name}（身份信息见下表），"
        f"于{doc.period_text}期间在下列单位{words['act']}，经{words['unit']}记录并确认，"
        f"累计{words['hours']} {hours_text(doc.total_minutes, 1)} 小时。"
    )
    story += [
        _p(lead, "body", fontSize=12, leading=22, firstLineIndent=24, wordWrap="CJK"),
        Spacer(1, 5 * mm),
        _p("一、基本信息", "body", fontSize=11.5),
        Spacer(1, 2 * mm),
        _identity_table(doc),
        Spacer(1, 5 * mm),
        _p(words["records"], "body", fontSize=11.5),
        Spacer(1, 2 * mm),
        _entries_table(doc),
        Spacer(1, 2 * mm),
        _p(_NOTES[doc.kind], "small", leading=12, wordWrap="CJK"),
    ]
    if doc.kind == "internship" and doc.evaluations:
        story += [
            Spacer(1, 5 * mm),
            _p("三、实习单位评价", "body", fontSize=11.5),
            Spacer(1, 2 * mm),
            _evaluations_table(doc),
        ]
    story += [Spacer(1, 8 * mm), KeepTogether(_closing_block(doc))]
    return story


def _draw_border(canvas: Canvas, _doc: BaseDocTemplate) -> None:
    width, height = A4
    canvas.saveState()
    canvas.setStrokeColor(_BORDER)
    canvas.setLineWidth(1.6)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.5)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.restoreState()


def _draw_watermark(canvas: Canvas, _doc: BaseDocTemplate) -> None:
    width, height = A4
    canvas.saveState()
    canvas.setFillColor(ACCENT, alpha=0.22)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(40)
    canvas.setFont(FONT, 64)
    canvas.drawCentredString(0, -22, _WATERMARK)
    canvas.restoreState()


def certificate_pdf(doc: CertificateDoc) -> bytes:
    """Return the certificate as an A4 PDF, watermarked when it has been superseded."""
    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{doc.title} {doc.code}",
        author=doc.issuing_union_name,
        subject=doc.title,
    )
    frame = Frame(_MARGIN, 24 * mm, A4[0] - 2 * _MARGIN, A4[1] - 24 * mm - 20 * mm, id="body")
    page = PageTemplate(id="certificate", frames=[frame], onPage=_draw_border)
    if doc.is_superseded:
        page.onPageEnd = _draw_watermark  # drawn last, so it lies over the content
    template.addPageTemplates([page])
    footer = numbered_canvas(
        f"证明编号：{doc.number or doc.code}", margin=18 * mm, baseline=15 * mm
    )
    template.build(_story(doc), canvasmaker=footer)
    return buffer.getvalue()
