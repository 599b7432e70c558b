"""The 年度 report as files for the programme report: CSV (one table a file) and Excel (a sheet
a table).

The column names are Japanese whatever the page's language: the files go into a Japanese
programme report, and the municipality's staff paste them into its forms as they are.
"""

import csv
import io
import unicodedata

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from app.attendance.reports import OrgReport, ParticipantLine
from app.core.prefectures import prefecture_name

TABLES = ("summary", "prefectures", "series", "participants")

KPI_LABELS = (
    ("participants", "参加者数（1回以上出席）"),
    ("continuing_sessions", "継続参加者数（2回以上出席）"),
    ("continuing_series", "継続参加者数（2講座以上に出席）"),
    ("completions", "修了者数（延べ）"),
    ("venue_only", "会場参加のみ"),
    ("online_only", "オンライン参加のみ"),
    ("both", "会場・オンライン両方"),
)
HEADERS = {
    "summary": ("年度", "指標", "人数"),
    "prefectures": ("都道府県コード", "都道府県", "参加者数", "継続参加者数（2回以上出席）"),
    "series": ("講座", "年度内の回数", "参加者数", "修了者数"),
    "participants": (
        "氏名",
        "ふりがな",
        "都道府県",
        "会場参加回数",
        "オンライン参加回数",
        "参加講座数",
        "修了講座数",
    ),
}
SHEET_NAMES = {
    "summary": "概要",
    "prefectures": "都道府県別",
    "series": "講座別",
    "participants": "参加者",
}


def year_label(year: int) -> str:
    return f"{year}年度"


def rows(table: str, report: OrgReport, people: list[ParticipantLine] | None = None) -> list:
    """The table's rows, without its header."""
    if table == "summary":
        return [
            (year_label(report.year), label, getattr(report.kpis, name))
            for name, label in KPI_LABELS
        ]
    if table == "prefectures":
        return [
            (code, prefecture_name(code, "ja") or "不明", n, continuing)
            for code, n, continuing in report.prefectures
        ]
    if table == "series":
        return [(s.title, s.sessions, s.participants, s.completions) for s in report.series]
    return [
        (p.name, p.furigana, prefecture_name(p.prefecture, "ja"), *p.figures) for p in people or []
    ]


def _csv_cell(value) -> str | int:
    """Text as Excel should show it: a leading = + - @ would start a formula."""
    if isinstance(value, int):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(table: str, report: OrgReport, people=None) -> bytes:
    """UTF-8 with a BOM, so that Excel reads the Japanese right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS[table])
    for row in rows(table, report, people):
        writer.writerow([_csv_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: OrgReport, people: list[ParticipantLine]) -> bytes:
    """A workbook with a sheet a table, each with its columns as wide as their content and its
    header row frozen; written in openpyxl's streaming mode (widths and panes come first)."""
    book = Workbook(write_only=True)
    for table in TABLES:
        sheet = book.create_sheet(SHEET_NAMES[table])
        body = rows(table, report, people)
        for index, width in enumerate(column_widths([HEADERS[table], *body]), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append(HEADERS[table])
        for row in body:
            sheet.append([_xlsx_cell(sheet, c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#: Excel's column width is in characters of its default font; a CJK character takes two
MIN_WIDTH, MAX_WIDTH, PADDING = 6, 60, 2


def display_width(value) -> int:
    """How many half-width characters the value takes on screen (full-width ones count two)."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_widths(table_rows) -> list[int]:
    """Each column's width: its widest cell, with a little room, within sane bounds."""
    widths: list[int] = []
    for row in table_rows:
        for index, value in enumerate(row):
            if index == len(widths):
                widths.append(0)
            widths[index] = max(widths[index], display_width(value))
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + PADDING)) for w in widths]


def _xlsx_cell(sheet, value):
    """Numbers as numbers; text always as text (openpyxl would store "=..." as a formula)."""
    if not isinstance(value, str) or not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell
