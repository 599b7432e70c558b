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
from app.core.timefmt import to_local

TABLES = ("summary", "prefectures", "series", "venues", "participants")

KPI_LABELS = (
    ("participants", "参加者数（1回以上出席）"),
    ("continuing_sessions", "継続参加者数（2回以上出席）"),
    ("continuing_series", "継続参加者数（2講座以上に出席）"),
    ("completions", "修了者数（延べ）"),
    ("venue_only", "会場参加のみ"),
    ("online_only", "オンライン参加のみ"),
    ("both", "会場・オンライン両方"),
    ("archive_viewers", "アーカイブ視聴者数（出席とは別）"),
    ("archive_minutes", "アーカイブ視聴分数（合計）"),
)
HEADERS = {
    "summary": ("年度", "指標", "数値"),
    "prefectures": ("都道府県コード", "都道府県", "参加者数", "継続参加者数（2回以上出席）"),
    "series": (
        "講座",
        "年度内の回数",
        "参加者数",
        "修了者数",
        "アーカイブ視聴者数",
        "アーカイブ視聴分数",
    ),
    "venues": ("講座", "回", "開催日", "会場", "申込（確定）", "参加者数"),
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
    "venues": "会場別",
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
        return [
            (s.title, s.sessions, s.participants, s.completions, s.archive_viewers,
             s.archive_minutes)
            for s in report.series
        ]  # fmt: skip
    if table == "venues":
        return [
            (v.series_title, v.session_title, to_local(v.starts_at).strftime("%Y-%m-%d"), v.venue,
             v.places, v.attended)
            for v in report.venues
        ]  # fmt: skip
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
            last, widths = _write_rows(
                sheet, itertools.chain([HEADERS[table]], rows(table, report, people))
            )
            if table == "participants":
                written = last  # the header's row is 0: the last row's index is the count
            for column, width in enumerate(widths.result()):
                sheet.set_column(column, column, width)
    return out.getvalue(), written


def _write_rows(sheet, lines) -> tuple[int, "Widths"]:
    """Each row into the sheet, numbers as numbers, text as text, nothing for None, measuring
    the columns on the way; the last row's index and the widths. The hot loop of a 50,000-line
    file: XlsxWriter's undecorated writers (3.3: `write_string` and `write_number` without
    their check for A1-style arguments), bound once; no guessing by type."""
    write_string, write_number = sheet._write_string, sheet._write_number
    widths = Widths()
    text, numbers = widths.text, widths.numbers
    index = 0
    for index, row in enumerate(lines):
        for column, value in enumerate(row):
            if value.__class__ is str:
                write_string(index, column, value)
                text(column, value)
            elif value is not None:
                write_number(index, column, value)
                numbers(column, value)
    return index, widths


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
    """Each column's width, measured cell by cell: its widest cell, with a little room, within
    sane bounds. Text is measured until its column reaches the bound; for numbers the
    largest and the smallest are kept and measured at the end."""

    def __init__(self):
        self.widest: dict[int, int] = {}
        self.low: dict[int, float] = {}
        self.high: dict[int, float] = {}

    def text(self, column: int, value: str) -> None:
        widest = self.widest.get(column, 0)
        if widest < MAX_WIDTH:  # past the bound, no cell can change it
            found = len(value) if value.isascii() else display_width(value)
            if found > widest:
                self.widest[column] = found

    def numbers(self, column: int, value) -> None:
        if value > self.high.get(column, value - 1):
            self.high[column] = value
        if value < self.low.get(column, value + 1):
            self.low[column] = value

    def measure(self, row) -> None:
        for column, value in enumerate(row):
            if isinstance(value, str):
                self.text(column, value)
            elif value is not None:
                self.numbers(column, value)

    def result(self) -> list[int]:
        found = dict(self.widest)
        for ends in (self.low, self.high):
            for column, value in ends.items():
                found[column] = max(found.get(column, 0), display_width(value))
        columns = range(max(found) + 1) if found else range(0)
        return [min(MAX_WIDTH, max(MIN_WIDTH, found.get(c, 0) + PADDING)) for c in columns]
