"""修了証: only for people who met the rule, issued once, a PDF with Japanese text in an
embedded Japanese font, and a public page that checks it against attendance again."""

import io
import re

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from pypdf import PdfReader
from sqlalchemy import func, select

from app.accounts.models import User
from app.attendance import certificates
from app.attendance import services as attendance
from app.attendance.certificates import NOT_YET
from app.attendance.models import Attendance, Certificate
from app.audit.models import AuditEvent
from app.events.models import Series
from app.extensions import db
from tests.attendance.test_history import completed_online_series
from tests.conftest import PASSWORD, login, post_form


@pytest.fixture
def done(app, world):
    """The participant attended both sessions of a series (completion 2 of 2); `other` was
    registered too and attended one."""
    with app.app_context():
        person = db.session.get(User, world["participant"])
        other = db.session.get(User, world["other"])
        series = completed_online_series(
            world["org"], person, title="しまね関係人口ゼミ 2026", others=[(other, 1)]
        )
        return series.id


def _certificates():
    return db.session.scalars(select(Certificate)).all()


def _pdf_text(data: bytes) -> tuple[str, list[str]]:
    """The PDF's text without whitespace, and its fonts. (pypdf reads the two-byte codes of a
    CID font's embedded encoding as two characters, the first NUL: those go too.)"""
    page = PdfReader(io.BytesIO(data)).pages[0]
    fonts = [f.get_object()["/BaseFont"] for f in page["/Resources"]["/Font"].values()]
    return re.sub(r"[\s\x00]+", "", page.extract_text()), fonts


def test_the_pdf_is_issued_once_with_japanese_text_in_a_japanese_font(app, client, done, ctx):
    login(client, "participant@example.jp")
    response = post_form(client, f"/me/certificates/{done}.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"%PDF-") and len(data) < 200_000  # a subset, not the whole font

    text, fonts = _pdf_text(data)
    assert "山田花子" in text  # the participant's name
    assert "しまね関係人口ゼミ2026" in text and "しまね関係人口ラボ" in text
    with app.test_request_context(), force_locale("ja"):
        assert re.sub(r"\s+", "", _("Certificate of completion")) in text  # 修了証
    assert fonts and all("CJK" in name for name in fonts), fonts  # e.g. ABCDEF+NotoSerifCJKjp
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait

    (certificate,) = _certificates()
    assert certificate.user_id and certificate.name == "山田 花子"
    assert certificate.sessions_attended == 2 and certificate.revoked_at is None
    assert len(certificate.code) >= 22  # 128 bits, base64url
    assert f"/certificates/{certificate.code}" in text  # the verification URL

    again = post_form(client, f"/me/certificates/{done}.pdf")
    assert again.status_code == 200
    assert [c.code for c in _certificates()] == [certificate.code]  # the same one
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.event == "certificate.issued")) == 1
    )


def test_no_certificate_before_the_rule_is_met_nor_for_someone_else(app, client, done, ctx):
    login(client, "other@example.jp")  # attended 1 of 2
    response = post_form(client, f"/me/certificates/{done}.pdf")
    assert response.status_code == 404
    with app.test_request_context(), force_locale("ja"):
        assert str(NOT_YET) in response.get_data(as_text=True)
    assert post_form(client, "/me/certificates/999999.pdf").status_code == 404
    assert _certificates() == []  # nor did they get mine


def test_anonymous_people_are_sent_to_log_in(client, done):
    response = post_form(client, f"/me/certificates/{done}.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- verification --------------------------------------------------------------------------------


def _issue(client, series_id) -> Certificate:
    login(client, "participant@example.jp")
    assert post_form(client, f"/me/certificates/{series_id}.pdf").status_code == 200
    return _certificates()[0]


def test_the_verification_page_shows_a_valid_certificate_to_anyone(app, done, ctx):
    certificate = _issue(app.test_client(), done)
    anonymous = app.test_client()
    response = anonymous.get(f"/certificates/{certificate.code}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with app.test_request_context(), force_locale("ja"):
        assert _("This certificate is valid.") in html
    for shown in ("山田 花子", "しまね関係人口ゼミ 2026", "しまね関係人口ラボ"):
        assert shown in html
    assert "participant@example.jp" not in html  # the name and the facts, nothing more
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_a_correction_below_the_rule_revokes_it_and_another_restores_it(app, done, world, ctx):
    certificate = _issue(app.test_client(), done)
    anonymous = app.test_client()
    organizer = db.session.get(User, world["organizer"])
    series = db.session.get(Series, done)
    record = db.session.scalar(
        select(Attendance).where(
            Attendance.session_id == series.sessions[1].id,
            Attendance.user_id == world["participant"],
        )
    )
    attendance.override(record, "absent", "接続記録の誤り", organizer)
    db.session.commit()  # services flush; the caller commits

    response = anonymous.get(f"/certificates/{certificate.code}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with app.test_request_context(), force_locale("ja"):
        assert _("Not valid: this certificate was withdrawn.") in html
        assert _("This certificate is valid.") not in html
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None  # the page only reads
    login(client := app.test_client(), "participant@example.jp")
    assert post_form(client, f"/me/certificates/{done}.pdf").status_code == 404  # not met now
    db.session.expire_all()  # the holder's download recorded the withdrawal
    assert db.session.get(Certificate, certificate.id).revoked_at is not None
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.event == "certificate.revoked"))
        == 1
    )

    attendance.override(db.session.get(Attendance, record.id), None, "確認の結果、出席", organizer)
    db.session.commit()  # services flush; the caller commits
    html = anonymous.get(f"/certificates/{certificate.code}").get_data(as_text=True)
    with app.test_request_context(), force_locale("ja"):
        assert _("This certificate is valid.") in html
    assert post_form(client, f"/me/certificates/{done}.pdf").status_code == 200
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None
    assert [c.code for c in _certificates()] == [certificate.code]


def test_an_unknown_code_is_not_found(app, client, ctx):
    response = client.get("/certificates/AAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 404
    with app.test_request_context(), force_locale("ja"):
        assert _("Not found: no certificate has this number.") in response.get_data(as_text=True)
    assert client.get("/certificates/" + "x" * 200).status_code == 404


def test_checking_codes_is_rate_limited(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_CHECKS_PER_ADDRESS", "3 per minute")
    answers = [client.get(f"/certificates/guess{i}").status_code for i in range(5)]
    assert answers == [404, 404, 404, 429, 429]


def test_a_deleted_holders_certificate_page_no_longer_shows_their_name(app, done, world, ctx):
    holder = db.session.get(User, world["participant"])
    certificate, _found = certificates.issue(holder, db.session.get(Series, done))
    db.session.commit()  # issue() flushes; the caller commits
    assert "山田 花子" in app.test_client().get(f"/certificates/{certificate.code}").get_data(
        as_text=True
    )
    holder = app.test_client()
    login(holder, "participant@example.jp")
    deleted = post_form(
        holder, "/account/delete", {"password": PASSWORD}, token_from="/account/delete"
    )
    assert deleted.status_code == 302
    response = app.test_client().get(f"/certificates/{certificate.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "山田 花子" not in html and "退会済みユーザー" not in html
    assert 'data-testid="certificate-holder-deleted"' in html
    with app.test_request_context(), force_locale("ja"):
        assert _("The holder deleted their account; the name is no longer shown.") in html
    assert "しまね関係人口ゼミ 2026" in html  # the facts stay checkable
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.event == "account.deleted"))
    assert event.details["certificate_names_removed"] == 1
