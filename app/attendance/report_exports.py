"""The 年度 report as files for the programme report: CSV (one table a file) and Excel (a sheet
a table).

The column names are Japanese whatever the page's language: the files go into a Japanese
programme report, and the municipality's staff paste them into its forms as they are.
"""

import functools
import io
import itertools
import unicodedata
from collections.abc import Iterable

import xlsxwriter

from app.attendance.reports import OrgReport, ParticipantLine
from app.core import csvfile
from app.core.csvfile import cell
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


def rows(table: str, report: OrgReport | None, people: Iterable[ParticipantLine] = ()):
    """The table's rows, without its header (the participants' as they come from `people`)."""
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
    return (
        (p.name, p.furigana, prefecture_name(p.prefecture, "ja"), *p.figures) for p in people or ()
    )


def csv_rows(table: str, report: OrgReport | None, people: Iterable[ParticipantLine] = ()):
    """The table's rows as CSV cells: text that Excel would take for a formula is quoted."""
    return ([cell(c) for c in row] for row in rows(table, report, people))


def to_csv(table: str, report: OrgReport | None, people=()) -> bytes:
    """UTF-8 with a BOM, so that Excel reads the Japanese right (the whole file at once; the
    download streams the same bytes with `csvfile.csv_response`)."""
    return csvfile.to_bytes(HEADERS[table], csv_rows(table, report, people))


def to_xlsx(report: OrgReport, people: Iterable[ParticipantLine]) -> tuple[bytes, int]:
    """A workbook with a sheet a table, each with its columns as wide as their content and its
    header row frozen, and how many participant lines it holds. XlsxWriter's constant_memory
    mode writes each row out as it comes (the participants are read in batches), and the
    widths, measured on the way, go in at the end. Text stays text (never a formula or a
    link)."""
    out = io.BytesIO()
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    written = 0
    with xlsxwriter.Workbook(out, options) as book:
        for table in TABLES:
            sheet = book.add_worksheet(SHEET_NAMES[table])
            sheet.freeze_panes(1, 0)
            widths = Widths()
            index = 0  # the header's row; then each row's, so the last is the count of rows
            for index, row in enumerate(
                itertools.chain([HEADERS[table]], rows(table, report, people))
            ):
                _write_row(sheet, index, row)
                widths.measure(row)
            if table == "participants":
                written = index
            for column, width in enumerate(widths.result()):
                sheet.set_column(column, column, width)
    return out.getvalue(), written


def _write_row(sheet, index: int, row) -> None:
    """Numbers as numbers, text as text, nothing for None (no guessing by type: faster)."""
    for column, value in enumerate(row):
        if isinstance(value, str):
            sheet.write_string(index, column, value)
        elif value is not None:
            sheet.write_number(index, column, value)


#: Excel's column width is in characters of its default font; a CJK character takes two
MIN_WIDTH, MAX_WIDTH, PADDING = 6, 60, 2


@functools.cache
def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def display_width(value) -> int:
    """How many half-width characters the value takes on screen (full-width ones count two)."""
    text = "" if value is None else str(value)
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


class Widths:
    """Each column's width, measured row by row: its widest cell, with a little room, within
    sane bounds."""

    def __init__(self):
        self.widest: list[int] = []

    def measure(self, row) -> None:
        widest = self.widest
        for index, value in enumerate(row):
            if index == len(widest):
                widest.append(0)
            if widest[index] < MAX_WIDTH:  # past the bound, no cell can change it
                widest[index] = max(widest[index], display_width(value))

    def result(self) -> list[int]:
        return [min(MAX_WIDTH, max(MIN_WIDTH, w + PADDING)) for w in self.widest]
