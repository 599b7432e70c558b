"""A survey's responses as files: CSV (UTF-8 with a BOM) and Excel, a line per response, with
Japanese column names whatever the page's language (they go into a Japanese report)."""

import io
import itertools

import xlsxwriter

from app.core import csvfile
from app.core.csvfile import cell
from app.surveys.models import AttendedAs, Survey
from app.surveys.results import response_lines

ATTENDED_AS_JA = {
    AttendedAs.venue: "会場",
    AttendedAs.online: "オンライン",
    AttendedAs.partial: "オンライン（一部）",
    AttendedAs.archive: "アーカイブ視聴",
}


def header(survey: Survey) -> tuple:
    """Anonymous surveys: the answers only (a line with how the person attended could single
    out the one online respondent; the results page shows the split, small groups hidden)."""
    about = () if survey.anonymous else ("氏名", "参加方法", "新規・継続")
    return (*about, *(q.label for q in survey.questions))


def rows(survey: Survey):
    for name, attended_as, returning, answers in response_lines(survey):
        about = ()
        if not survey.anonymous:
            about = (cell(name), ATTENDED_AS_JA[attended_as], "継続" if returning else "新規")
        yield (*about, *(cell(answers.get(q.id, "")) for q in survey.questions))


def to_csv_rows(survey: Survey):
    return rows(survey)


def to_xlsx(survey: Survey) -> tuple[bytes, int]:
    out = io.BytesIO()
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    written = 0
    with xlsxwriter.Workbook(out, options) as book:
        sheet = book.add_worksheet("回答")
        sheet.freeze_panes(1, 0)
        for index, row in enumerate(itertools.chain([header(survey)], rows(survey))):
            for column, value in enumerate(row):
                if isinstance(value, str):
                    sheet.write_string(index, column, value)
                elif value is not None:
                    sheet.write_number(index, column, value)
            written = index
    return out.getvalue(), written


def to_csv(survey: Survey) -> bytes:
    return csvfile.to_bytes(header(survey), rows(survey))
