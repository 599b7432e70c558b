"""関わり証明 as files a person hands to a municipality: JSON, CSV (UTF-8 with a BOM, Japanese
headers, for Excel) and an A4 PDF in Japanese with the verification URL and its QR code (the
修了証's PDF machinery and font)."""

from datetime import timedelta

from flask_babel import gettext as _
from fpdf.enums import WrapMode

from app.attendance.certificates import CJK, FAMILY, INK, _Document, _qr_image
from app.attendance.figures import fiscal_year_bounds
from app.core import csvfile
from app.core.csvfile import cell
from app.core.prefectures import prefecture_name
from app.core.timefmt import to_local
from app.records.services import Activity, Record
from app.registration.forms import MODE_LABELS

CSV_HEADER = ("日付", "主催団体", "講座", "回", "都道府県", "市町村", "参加形態", "時間（分）")
MODE_JA = {"venue": "会場", "online": "オンライン"}


def _date(a: Activity) -> str:
    return to_local(a.session.starts_at).strftime("%Y-%m-%d")


def period(year: int) -> tuple[str, str]:
    start, end = fiscal_year_bounds(year)
    return (
        to_local(start).strftime("%Y-%m-%d"),
        (to_local(end) - timedelta(days=1)).strftime("%Y-%m-%d"),
    )


def payload(record: Record, verification_url: str | None = None) -> dict:
    """The record as the API and the JSON download give it."""
    first, last = period(record.year)
    return {
        "name": record.user.name,
        "fiscal_year": record.year,
        "period_from": first,
        "period_to": last,
        "count": len(record.activities),
        "total_minutes": record.minutes,
        "organizations": [o.name for o in record.orgs if o.id in record.chosen],
        "verification_url": verification_url,
        "archive_viewing": [
            {
                "date": to_local(v.watched_at).strftime("%Y-%m-%d"),
                "organization": v.org.name,
                "series": v.series.title,
                "session": v.session.title,
                "minutes": v.minutes,
            }
            for v in record.viewings
        ],
        "activities": [
            {
                "date": _date(a),
                "organization": a.org.name,
                "series": a.series.title,
                "session": a.session.title,
                "prefecture_code": a.series.prefecture,
                "prefecture": prefecture_name(a.series.prefecture, "ja"),
                "municipality": a.series.municipality,
                "mode": a.mode.value,
                "minutes": a.minutes,
            }
            for a in record.activities
        ],
    }


def csv_rows(record: Record):
    for a in record.activities:
        yield [
            cell(c)
            for c in (
                _date(a),
                a.org.name,
                a.series.title,
                a.session.title,
                prefecture_name(a.series.prefecture, "ja"),
                a.series.municipality,
                MODE_JA[a.mode.value],
                a.minutes,
            )
        ]

    for v in record.viewings:
        yield [
            cell(c)
            for c in (
                to_local(v.watched_at).strftime("%Y-%m-%d"),
                v.org.name,
                v.series.title,
                v.session.title,
                prefecture_name(v.series.prefecture, "ja"),
                v.series.municipality,
                "アーカイブ視聴",
                v.minutes,
            )
        ]


def record_csv(record: Record) -> bytes:
    return csvfile.to_bytes(CSV_HEADER, csv_rows(record))


def region(a: Activity) -> str:
    return " ".join(x for x in (prefecture_name(a.series.prefecture), a.series.municipality) if x)


def record_pdf(record: Record, verification_url: str | None) -> bytes:
    """A4 portrait: title, name, 年度, one row per activity (pages as needed), the total, and
    the verification URL with its QR code when the person created a link."""
    pdf = _Document()
    title = _("Record of activities")
    pdf.set_title(f"{title} {record.year}")
    pdf.set_creator("Kakawari")
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*INK)
    pdf.line_at(20, title, 26, spacing=4 if CJK.search(title) else 0.5)
    first, last = period(record.year)
    pdf.text_at(38, _("Name: %(name)s", name=record.user.name), 12, x=15, w=180, h=7, align="L")
    pdf.text_at(
        46,
        _("Fiscal year %(year)d (%(first)s – %(last)s)", year=record.year, first=first, last=last),
        11,
        x=15,
        w=180,
        h=6,
        align="L",
    )
    columns = (
        (_("Date"), 22),
        (_("Organisation"), 38),
        (_("Series / session"), 60),
        (_("Region"), 28),
        (_("Mode"), 18),
        (_("Minutes"), 14),
    )

    def header(y):
        x = 15
        for label, w in columns:
            pdf.text_at(y, label, 9, x=x, w=w, h=5, align="L")
            x += w
        pdf.line(15, y + 6, 195, y + 6)
        return y + 8

    y = header(58)
    for a in record.activities:
        if y > 255:
            pdf.add_page()
            y = header(20)
        values = (
            _date(a),
            a.org.name,
            f"{a.series.title} / {a.session.title}",
            region(a),
            str(MODE_LABELS[a.mode]),
            str(a.minutes),
        )
        x, bottom = 15, y
        for (_label, w), value in zip(columns, values, strict=True):
            bottom = max(bottom, pdf.text_at(y, value, 8.5, x=x, w=w - 1, h=4.5, align="L"))
            x += w
        y = bottom + 2
    if not record.activities:
        y = pdf.text_at(y, _("No activities in this fiscal year."), 10, x=15, w=180, align="L")
    pdf.line(15, y, 195, y)
    y = pdf.text_at(
        y + 3,
        _(
            "%(n)d activities, %(minutes)d minutes in all",
            n=len(record.activities),
            minutes=record.minutes,
        ),
        10,
        x=15,
        w=180,
        h=6,
        align="R",
    )
    if record.viewings:
        y = pdf.text_at(y + 4, _("Archive viewing"), 11, x=15, w=180, h=6, align="L") + 1
        for v in record.viewings:
            if y > 265:
                pdf.add_page()
                y = 20
            line = (
                f"{to_local(v.watched_at).strftime('%Y-%m-%d')}  {v.org.name}  "
                f"{v.series.title} / {v.session.title}  {_('%(n)d min', n=v.minutes)}"
            )
            y = pdf.text_at(y, line, 8.5, x=15, w=180, h=4.5, align="L") + 1.5
    if verification_url:
        if y > 245:
            pdf.add_page()
            y = 20
        pdf.image(_qr_image(verification_url), x=15, y=y + 6, w=30, h=30)
        pdf.text_at(y + 9, _("Anyone can check this record at:"), 9, x=50, w=140, h=5, align="L")
        pdf.set_font(FAMILY, "", 8.5)
        pdf.set_xy(50, y + 15)
        pdf.multi_cell(
            140, 5, verification_url, align="L", wrapmode=WrapMode.CHAR, link=verification_url
        )
    return bytes(pdf.output())
