"""修了証: issued the first time a person who met a series' completion rule downloads it (a POST)
and the same one afterwards; printed as an A4 PDF with a Japanese font embedded, a verification
URL and its QR code. The public check page reads attendance as it is now (and writes nothing);
each download keeps the stored certificate in line with it (withdrawn, reinstated, audited).

The PDF is drawn with fpdf2, which embeds a subset of a CFF-based OpenType collection (Debian's
fonts-noto-cjk .ttc files), so the file stays small and shows the same everywhere.
"""

import functools
import logging
import re
import secrets
from datetime import datetime
from pathlib import Path

import qrcode
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fontTools.ttLib import TTCollection
from fpdf import FPDF
from fpdf.enums import WrapMode
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.attendance.models import Certificate
from app.attendance.services import Progress, progress
from app.attendance.signals import certificate_changed
from app.audit import services as audit
from app.core.errors import NotFound
from app.core.timefmt import format_date
from app.core.types import utcnow
from app.events.models import Series
from app.extensions import db

NOT_YET = _l(
    "There is no certificate for you in this series: it is issued once you meet the series' "
    "completion rule."
)


# --- issuing and checking ----------------------------------------------------------------------


def _current(user_id: int, series_id: int) -> Progress:
    return progress(user_id, [series_id])[series_id]


def _recheck(certificate: Certificate, found: Progress, now: datetime) -> bool:
    """Keep a certificate in line with attendance: revoked while corrections mean the rule is
    not met, valid again (same code) once it is; the count it states is the current one.
    Flushes; whether anything changed (then the caller commits)."""
    valid = certificate.revoked_at is None
    if valid == found.completed and certificate.sessions_attended == found.attended:
        return False
    if valid != found.completed:
        certificate.revoked_at = None if found.completed else now
        audit.record(
            "certificate.reinstated" if found.completed else "certificate.revoked",
            subject=certificate.user,
            org=certificate.series.org,
            series_id=certificate.series_id,
            certificate_id=certificate.id,
            sessions_attended=found.attended,
        )
    certificate.sessions_attended = found.attended
    db.session.flush()
    if valid != found.completed:
        certificate_changed.send(certificate, kind="reinstated" if valid is False else "withdrawn")
    return True


def issue(user: User, series: Series, now: datetime | None = None) -> tuple[Certificate, Progress]:
    """The person's certificate for the series: created the first time they meet its
    completion rule, the same one (same code) afterwards. Raises NotFound while the rule is not
    met, revoking a certificate issued before a correction. Flushes: the caller commits
    (also before raising NotFound, so that a revocation stands)."""
    now = now or utcnow()
    found = _current(user.id, series.id)
    certificate = _find(user.id, series.id)
    if certificate is not None:
        _recheck(certificate, found, now)
    if not found.completed:
        raise NotFound(NOT_YET)
    if certificate is None:
        certificate = Certificate(
            series_id=series.id,
            user_id=user.id,
            code=secrets.token_urlsafe(16),
            name=user.name,
            sessions_attended=found.attended,
            issued_at=now,
        )
        db.session.add(certificate)
        audit.record(
            "certificate.issued",
            actor=user,
            subject=user,
            org=series.org,
            series_id=series.id,
            sessions_attended=found.attended,
        )
        db.session.flush()  # IntegrityError: a second click issued it at once (the view retries)
        certificate_changed.send(certificate, kind="issued")
    return certificate, found


def _find(user_id: int, series_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.series_id == series_id
        )
    )


def forget_holder(user: User) -> int:
    """A deleted account's certificates lose the name (the check page then says the holder
    deleted their account); how many. Flushes: the deletion commits."""
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id, Certificate.name != "")
    ).all()
    for certificate in certificates:
        certificate.name = ""
    db.session.flush()
    return len(certificates)


def verify(code: str) -> tuple[Certificate | None, Progress | None]:
    """The certificate with this code (None when there is none) and its holder's progress in
    the series now: valid while that meets the rule. Reads only (the public page is a GET); the
    holder's next download records a withdrawal or a reinstatement (`issue`)."""
    if not code or len(code) > 32:
        return None, None
    certificate = db.session.scalar(
        select(Certificate)
        .where(Certificate.code == code)
        .options(selectinload(Certificate.series).selectinload(Series.org))
    )
    if certificate is None:
        return None, None
    return certificate, _current(certificate.user_id, certificate.series_id)


# --- the PDF -----------------------------------------------------------------------------------

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk")
#: by preference: a serif (明朝) reads like a printed certificate; the sans is the fallback.
#: One weight only: each font embedded costs about a second of subsetting.
FONT_FILES = ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc")
INK = (33, 52, 84)
FAMILY = "cjk"

logging.getLogger("fontTools").setLevel(logging.WARNING)  # it reports every table it subsets


@functools.cache
def japanese_font() -> tuple[str, int]:
    """(file, index in the collection) of a Noto CJK font with Japanese glyph forms."""
    for name in FONT_FILES:
        for folder in FONT_DIRS:
            path = Path(folder) / name
            if path.exists():
                return str(path), _japanese_index(path)
    raise RuntimeError("No Japanese font found: install Debian's fonts-noto-cjk (see .ci/run).")


def _japanese_index(path: Path) -> int:
    # A collection holds the JP, KR, SC, TC and HK variants, in an order that differs by file.
    collection = TTCollection(str(path), lazy=True)
    try:
        for i, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1).endswith("CJK JP"):
                return i
    finally:
        collection.close()
    return 0


def _qr_image(url: str):
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image()


#: Japanese has no spaces between words: such text may break between any two characters
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


class _Document(FPDF):
    def __init__(self):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(False)
        path, index = japanese_font()
        self.add_font(FAMILY, "", path, collection_font_number=index)
        locale = get_locale()
        self.set_lang(locale.language if locale else "ja")

    def text_at(self, y, text, size, *, align="C", x=25.0, w=160.0, h=None) -> float:
        """Text in a box of width w from (x, y), wrapped; returns where it ends."""
        self.set_font(FAMILY, "", size)
        self.set_xy(x, y)
        wrap = WrapMode.CHAR if CJK.search(text) else WrapMode.WORD
        self.multi_cell(w, h or size * 0.5, text, align=align, wrapmode=wrap)
        return self.get_y()

    def line_at(self, y, text, size, *, spacing=0.0, w=160.0) -> float:
        """One centred line, in a smaller size if it would not fit."""
        self.set_font(FAMILY, "", size)
        self.set_char_spacing(spacing)
        while size > 10 and self.get_string_width(text) > w:
            size -= 1
            self.set_font_size(size)
        self.set_xy((self.w - w) / 2, y)
        self.cell(w, size * 0.5, text, align="C")
        self.set_char_spacing(0)
        return y + size * 0.5


def attendance_text(certificate: Certificate, found: Progress) -> str:
    """The certificate's attendance line; where archive viewing counted (the series' option),
    it says how many of the sessions it was (うちアーカイブ視聴 n 回)."""
    text = _(
        "%(attended)d of %(sessions)d sessions",
        attended=certificate.sessions_attended,
        sessions=found.sessions,
    )
    if found.archive:
        text += _(" (of which by archive viewing: %(n)d)", n=found.archive)
    return text


def certificate_pdf(certificate: Certificate, found: Progress, verify_url: str) -> bytes:
    """The certificate as an A4 portrait PDF: title, name, series, organisation, attendance,
    the rule, the issue date, and the verification URL with its QR code."""
    series = certificate.series
    org = series.org.name
    pdf = _Document()
    pdf.set_title(f"{_('Certificate of completion')} — {series.title}")
    pdf.set_author(org)
    pdf.set_creator("Kakawari")
    pdf.set_creation_date(certificate.issued_at)
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*INK)

    pdf.set_line_width(1.2)
    pdf.rect(12, 12, 186, 273)
    pdf.set_line_width(0.3)
    pdf.rect(15.5, 15.5, 179, 266)

    title = _("Certificate of completion")
    pdf.line_at(44, title, 38, spacing=8 if CJK.search(title) else 1)
    y = pdf.line_at(86, _("Presented to %(name)s", name=certificate.name), 24)
    pdf.line(40, y + 3, 170, y + 3)

    body = _(
        "You attended %(attended)d of the %(sessions)d sessions of the series below and met "
        "its completion rule. We hereby certify that you completed it.",
        attended=certificate.sessions_attended,
        sessions=found.sessions,
    )
    y = pdf.text_at(y + 14, body, 12.5, x=32, w=146, h=8)

    rows = [
        (_("Series"), series.title),
        (_("Organised by"), org),
        (_("Attendance"), attendance_text(certificate, found)),
        (_("Completion rule"), _("Attend at least %(n)d sessions", n=found.required or 0)),
        (_("Issued on"), format_date(certificate.issued_at)),
    ]
    y += 12
    for label, value in rows:
        pdf.text_at(y, label, 11, x=32, w=36, h=7, align="L")
        size = 12 if len(value) <= 60 else 9.5  # a long title still leaves room below
        y = pdf.text_at(y, value, size, x=70, w=108, h=size * 0.58, align="L") + 3.5

    pdf.text_at(max(y + 10, 214), org, 17, x=32, w=146, align="R")

    pdf.image(_qr_image(verify_url), x=25, y=244, w=30, h=30)
    pdf.text_at(
        247,
        _("Anyone can check that this certificate is valid at:"),
        9,
        x=60,
        w=125,
        h=5,
        align="L",
    )
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_xy(60, 253)
    pdf.multi_cell(125, 5, verify_url, align="L", wrapmode=WrapMode.CHAR, link=verify_url)
    pdf.text_at(
        pdf.get_y() + 1,
        _("Certificate number: %(code)s", code=certificate.code),
        8,
        x=60,
        w=125,
        h=5,
        align="L",
    )
    return bytes(pdf.output())
