"""Writes the brief as a Word document (python-docx): A4, a title and a date line, the headline
figures, the urban-rural comparison, recurring problems (反弹), items awaiting leadership's approval,
shortages and a table by township; "第 X 页 共 Y 页" in the footer from PAGE/NUMPAGES fields, so
Word and LibreOffice number the printed pages themselves.

Labels of the headline table are fixed (`HEADLINE_LABELS`): tests read the document back by them.
"""

import io
from decimal import Decimal

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from django.utils import timezone
from django.utils.translation import gettext as _

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# SimSun where Word runs; LibreOffice substitutes an installed CJK font (e.g. WenQuanYi).
BODY_FONT = "宋体"
TITLE_FONT = "黑体"


def filename(day, scope_key="bureau"):
    return f"daily-brief-{day:%Y%m%d}-{scope_key}.docx"


def _set_font(style_or_run, name, size=None, bold=None):
    font = style_or_run.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = style_or_run.element if hasattr(style_or_run, "element") else style_or_run._element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _field(paragraph, instruction, placeholder="1"):
    """A complex field (PAGE, NUMPAGES) whose value the word processor computes when it lays out."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run._r.append(begin)
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    run = paragraph.add_run()
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run._r.append(separate)
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def _footer(section):
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(_("第 "))
    _field(paragraph, "PAGE")
    paragraph.add_run(_(" 页 共 "))
    _field(paragraph, "NUMPAGES")
    paragraph.add_run(_(" 页"))


def _text(value):
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value.as_tuple().exponent == -2 else str(value)
    return str(value)


def _percent(value):
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.1'))}%"


def _ratio(value):
    return "—" if value is None else str(value.quantize(Decimal("0.01")))


def _table(document, header, rows):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, label in zip(table.rows[0].cells, header, strict=True):
        cell.text = str(label)
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = _text(value)
    return table


def _heading(document, text):
    paragraph = document.add_paragraph(style="Heading 2")
    run = paragraph.add_run(text)
    _set_font(run, TITLE_FONT, 14, True)
    return paragraph


def headline_rows(figures):
    """(label, value) rows of the headline table: the figures tests compare with the dashboard."""
    headline = figures["headline"]
    rows = [
        (_("当日新增问题"), figures["opened"]),
        (_("当日销号"), figures["closed"]),
        (_("未销号问题"), headline["open"]),
        (_("逾期问题"), headline["overdue"]),
    ]
    rows += [(_("逾期·%(level)s") % {"level": r["label"]}, r["count"]) for r in figures["by_escalation"]]
    rows += [
        (_("待领导审核销号"), headline["submitted"]),
        (_("物资短缺问题（未销号）"), len(figures["shortages"])),
    ]
    donations = figures["donations"]
    if donations is not None:
        allocated = donations["cash_total"] - donations["cash_balance"]
        rows += [
            (_("当日接收捐赠（笔）"), donations["donations_today"]),
            (_("当日接收资金（元）"), donations["cash_today"]),
            (_("累计接收资金（元）"), donations["cash_total"]),
            (_("累计拨付资金（元）"), allocated),
            (_("资金结余（元）"), donations["cash_balance"]),
        ]
        disclosure = figures["disclosure"]
        rows += [
            (
                _("%(day)s 公示") % {"day": f"{disclosure['day']:%Y-%m-%d}"},
                _("已发布") if disclosure["published"] else _("未发布"),
            ),
            (_("超期未公示记录"), disclosure["late_records"]),
        ]
    return rows


def build_docx(figures):
    """The brief of `figures` (from `figures.brief_figures`) as .docx bytes."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)
    _set_font(document.styles["Normal"], BODY_FONT, 11)
    _footer(section)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(title.add_run(_("疫情防控每日会商简报")), TITLE_FONT, 20, True)
    date = document.add_paragraph()
    date.alignment = WD_ALIGN_PARAGRAPH.CENTER
    date.add_run(figures["date_line"])
    built = timezone.localtime()
    stamp = document.add_paragraph()
    stamp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    stamp.add_run(_("市民政局 · 数据截至 %(time)s") % {"time": f"{built:%Y-%m-%d %H:%M}"})
    if figures["institutions"] is not None:
        names = "、".join(figures["institutions"]) or _("（无）")
        document.add_paragraph(_("范围：本单位负责的机构：%(names)s") % {"names": names})
    else:
        document.add_paragraph(_("范围：全局"))
    if figures["calendar_note"]:
        document.add_paragraph(_("日历提示：%(note)s") % {"note": figures["calendar_note"]})
    if figures["no_data"]:
        document.add_paragraph(_("本日无新增问题、无销号、无捐赠记录。"))

    _heading(document, _("一、主要数据"))
    _table(document, [_("项目"), _("数值")], headline_rows(figures))

    _heading(document, _("二、城乡对比"))
    ur = figures["urban_rural"]
    total = ur["total"]
    rows = [
        [
            label,
            total[key]["visits"],
            total[key]["issues"],
            _ratio(total[key]["issues_per_visit"]),
            _percent(total[key]["overdue_rate"]),
            _percent(total[key]["pass_rate"]),
        ]
        for key, label in (("urban", _("城区")), ("rural", _("农村")))
    ]
    gap = total["gap"]
    rows.append(
        [
            _("农村−城区"),
            "",
            "",
            _ratio(gap.get("issues_per_visit")),
            _percent(gap.get("overdue_rate")),
            _percent(gap.get("pass_rate")),
        ]
    )
    _table(
        document, [_("区域"), _("完成检查"), _("问题数"), _("每次检查问题数"), _("逾期率"), _("合格率")], rows
    )
    if total["flagged"]:
        document.add_paragraph(_("农村明显落后于城区的指标已在看板中标出，请关注。"))

    _heading(document, _("三、反弹问题"))
    recurrence = figures["recurrence"]
    if recurrence["items"]:
        document.add_paragraph(_("同一机构同类问题在两轮以上督查中被发现：%(count)d 处。") % recurrence)
        _table(
            document,
            [_("机构"), _("城乡"), _("问题类别"), _("发现轮次"), _("未销号")],
            [
                [r["institution"], r["area"], r["category"], r["rounds"], r["open"]]
                for r in recurrence["items"]
            ],
        )
    else:
        document.add_paragraph(_("无。"))

    _heading(document, _("四、待领导审核事项"))
    closures = figures["closures"]
    document.add_paragraph(
        _("已提交销号、待审核：%(count)d 项。") % {"count": figures["headline"]["submitted"]}
    )
    if closures["items"]:
        _table(
            document,
            [_("编号"), _("问题"), _("机构"), _("类别"), _("整改时限"), _("提交人")],
            [
                [
                    r["number"],
                    r["title"],
                    r["institution__name"],
                    r["category__name"],
                    f"{r['deadline']:%Y-%m-%d}",
                    r["submitter_name"] or "",
                ]
                for r in closures["items"]
            ],
        )

    _heading(document, _("五、物资短缺"))
    if figures["shortages"]:
        _table(
            document,
            [_("编号"), _("机构"), _("问题"), _("整改时限"), _("是否逾期")],
            [
                [
                    r["number"],
                    r["institution__name"],
                    r["title"],
                    f"{r['deadline']:%Y-%m-%d}",
                    _("是") if r["overdue"] else _("否"),
                ]
                for r in figures["shortages"]
            ],
        )
    else:
        document.add_paragraph(_("无未销号的物资短缺问题。"))
    cover = figures["days_of_cover"]
    if cover is None:
        document.add_paragraph(_("库存保障天数：暂无物资日报。"))
    else:
        _table(
            document,
            [_("机构"), _("保障天数最低的物资"), _("保障天数")],
            [[r["institution"], r["item"], r["days"]] for r in cover],
        )

    _heading(document, _("六、分乡镇情况"))
    townships = ur["townships"]
    if townships:
        _table(
            document,
            [_("乡镇（街道）"), _("完成检查"), _("问题数"), _("逾期率"), _("合格率"), _("城乡差距")],
            [
                [
                    r["township"],
                    r["urban"]["visits"] + r["rural"]["visits"],
                    r["urban"]["issues"] + r["rural"]["issues"],
                    _("城 %(u)s / 乡 %(r)s")
                    % {"u": _percent(r["urban"]["overdue_rate"]), "r": _percent(r["rural"]["overdue_rate"])},
                    _("城 %(u)s / 乡 %(r)s")
                    % {"u": _percent(r["urban"]["pass_rate"]), "r": _percent(r["rural"]["pass_rate"])},
                    _("需关注") if r["flagged"] else "",
                ]
                for r in townships
            ],
        )
    else:
        document.add_paragraph(_("暂无乡镇数据。"))

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
