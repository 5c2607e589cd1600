"""The dashboard's numbers as tables: the same rows feed the accessible HTML table under each chart
and its XLSX download (written by the formula-safe `home.spreadsheets.write_workbook`)."""

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from home.spreadsheets import OutColumn, OutSheet, write_workbook


@dataclass
class Table:
    name: str  # URL slug of the download
    title: str
    columns: list
    rows: list
    # Row indexes to highlight (the urban-rural gap); cells keep their text, the mark is extra.
    highlighted: set = field(default_factory=set)
    number_formats: dict = field(default_factory=dict)


def _percent(value):
    return None if value is None else (value * 100).quantize(Decimal("0.1"))


def _gap_text(value, percent=False):
    if value is None:
        return None
    return _percent(value) if percent else value.quantize(Decimal("0.01"))


def inspection_tables(figures):
    """Tables of the inspection figures, in the dashboard's order, keyed by download slug."""
    tables = [
        Table(
            "stages",
            _("未销号问题（按阶段）"),
            [_("阶段"), _("数量")],
            [[r["label"], r["count"]] for r in figures["by_stage"]],
        ),
        Table(
            "categories",
            _("未销号问题（按类别）"),
            [_("类别"), _("未销号"), _("其中逾期")],
            [[r["label"], r["open"], r["overdue"]] for r in figures["by_category"]],
        ),
        Table(
            "institutions",
            _("未销号问题最多的机构"),
            [_("机构"), _("乡镇（街道）"), _("城乡"), _("未销号"), _("其中逾期")],
            [
                [r["label"], r["township"], r["area"], r["open"], r["overdue"]]
                for r in figures["by_institution"]
            ],
        ),
        Table(
            "escalation",
            _("逾期问题（按升级级别）"),
            [_("级别"), _("数量")],
            [[str(r["label"]), r["count"]] for r in figures["by_escalation"]],
        ),
        Table(
            "overdue-age",
            _("逾期问题（按逾期天数）"),
            [_("逾期天数"), _("数量")],
            [[r["label"], r["count"]] for r in figures["overdue_by_age"]],
        ),
        Table(
            "oldest",
            _("最久未销号问题"),
            [
                _("编号"),
                _("标题"),
                _("机构"),
                _("类别"),
                _("阶段"),
                _("发现日期"),
                _("整改期限"),
                _("已历天数"),
                _("反弹"),
            ],
            [
                [
                    r["number"],
                    r["title"],
                    r["institution"],
                    r["category"],
                    r["stage_label"],
                    r["found_on"],
                    r["deadline"],
                    r["days_open"],
                    _("反弹") if r["recurrence"] else "",
                ]
                for r in figures["oldest"]
            ],
            number_formats={5: "yyyy-mm-dd", 6: "yyyy-mm-dd"},
        ),
        urban_rural_table(figures["urban_rural"]),
        Table(
            "recurrence",
            _("反弹问题（同一机构同类问题在后续轮次再次发现）"),
            [_("机构"), _("城乡"), _("类别"), _("发现轮次数"), _("未销号")],
            [
                [r["institution"], r["area"], r["category"], r["rounds"], r["open"]]
                for r in figures["recurrence"]["items"]
            ],
        ),
        Table(
            "close-category",
            _("销号用时中位数（按类别，天）"),
            [_("类别"), _("中位天数"), _("已销号")],
            [[r["label"], r["median_days"], r["closed"]] for r in figures["time_to_close"]["by_category"]],
        ),
        Table(
            "close-township",
            _("销号用时中位数（按乡镇，天）"),
            [_("乡镇（街道）"), _("中位天数"), _("已销号")],
            [[r["label"], r["median_days"], r["closed"]] for r in figures["time_to_close"]["by_township"]],
        ),
        Table(
            "trend",
            _("每日新增与销号"),
            [_("日期"), _("新增"), _("销号")],
            [[r["day"], r["opened"], r["closed"]] for r in figures["trend"]],
            number_formats={0: "yyyy-mm-dd"},
        ),
    ]
    return {table.name: table for table in tables}


def urban_rural_table(data):
    columns = [
        _("乡镇（街道）"),
        _("城区检查次数"),
        _("农村检查次数"),
        _("城区每次检查问题数"),
        _("农村每次检查问题数"),
        _("差距"),
        _("城区逾期率%"),
        _("农村逾期率%"),
        _("差距（百分点）"),
        _("城区检查合格率%"),
        _("农村检查合格率%"),
        _("差距（百分点）"),
        _("农村明显落后"),
    ]
    labels = {
        "issues_per_visit": _("每次检查问题数"),
        "overdue_rate": _("逾期率"),
        "pass_rate": _("检查合格率"),
    }
    rows, highlighted = [], set()
    for index, row in enumerate([*data["townships"], data["total"]]):
        u, r, gap = row["urban"], row["rural"], row["gap"]
        name = row["township"] or _("合计")
        rows.append(
            [
                name,
                u["visits"],
                r["visits"],
                None if u["issues_per_visit"] is None else u["issues_per_visit"].quantize(Decimal("0.01")),
                None if r["issues_per_visit"] is None else r["issues_per_visit"].quantize(Decimal("0.01")),
                _gap_text(gap["issues_per_visit"]),
                _percent(u["overdue_rate"]),
                _percent(r["overdue_rate"]),
                _gap_text(gap["overdue_rate"], percent=True),
                _percent(u["pass_rate"]),
                _percent(r["pass_rate"]),
                _gap_text(gap["pass_rate"], percent=True),
                "、".join(str(labels[key]) for key in row["flagged"]),
            ]
        )
        if row["flagged"]:
            highlighted.add(index)
    return Table("urban-rural", _("城乡对比（农村减城区）"), columns, rows, highlighted=highlighted)


def xlsx_bytes(tables):
    """One sheet per table, every text cell stored as text (no formula injection)."""
    sheets = []
    for table in tables:
        columns = [
            OutColumn(
                str(header),
                width=max(10, len(str(header)) * 2 + 2),
                number_format=table.number_formats.get(i),
            )
            for i, header in enumerate(table.columns)
        ]
        rows = [[float(v) if isinstance(v, Decimal) else v for v in row] for row in table.rows]
        sheets.append(OutSheet(title=_sheet_title(table.title), columns=columns, rows=rows))
    buffer = io.BytesIO()
    write_workbook(buffer, sheets)
    return buffer.getvalue()


def _sheet_title(title):
    # Excel forbids []:*?/\ in sheet names and allows 31 characters.
    cleaned = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")
    return cleaned[:31]


def donation_tables(donations):
    tables = [
        Table(
            "donations",
            _("捐赠情况"),
            [_("项目"), _("数值")],
            [
                [_("今日现金捐赠（元）"), donations["cash_today"]],
                [_("累计现金捐赠（元）"), donations["cash_total"]],
                [_("现金结余（元）"), donations["cash_balance"]],
                [_("今日捐赠笔数"), donations["donations_today"]],
                [_("累计捐赠笔数"), donations["donations_total"]],
                [_("今日物资捐赠批次"), donations["goods_today"]],
            ],
        ),
        Table(
            "stock",
            _("库存物资"),
            [
                _("类别"),
                _("物资名称"),
                _("规格型号"),
                _("执行标准"),
                _("单位"),
                _("累计接收"),
                _("累计拨付"),
                _("库存"),
            ],
            [
                [
                    s["category_label"],
                    s["item"],
                    s["specification"],
                    s["standard"],
                    s["unit"],
                    s["received"],
                    s["allocated"],
                    s["in_stock"],
                ]
                for s in donations["stock"]
            ],
        ),
    ]
    return {table.name: table for table in tables}
