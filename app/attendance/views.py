"""Participant pages of attendance: 参加履歴 and its downloads, 修了証 PDFs, and the public page
that verifies a certificate."""

from flask import Blueprint, Response, current_app, json, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.attendance import certificates
from app.attendance.history import (
    MODE_LABELS,
    SESSION_CANCELLED,
    history,
    history_header,
    history_rows,
)
from app.attendance.history import payload as history_payload
from app.attendance.personal_data import personal_data
from app.attendance.schemas import HistorySchema
from app.core.access import login_required, public
from app.core.csvfile import csv_response
from app.core.errors import NotFound
from app.core.types import utcnow
from app.core.urls import external_url
from app.events.models import Series
from app.extensions import db, limiter

bp = Blueprint("attendance", __name__)

PRIVATE = {"Cache-Control": "private, no-store"}


def certificate_url(series_id: int) -> str:
    return external_url("attendance.certificate_pdf", series_id=series_id)


@bp.route("/me/history")
@login_required
def my_history():
    return render_template(
        "attendance/history.html",
        entries=history(current_user),
        MODE_LABELS=MODE_LABELS,
        SESSION_CANCELLED=SESSION_CANCELLED,
        now=utcnow(),
    )


@bp.route("/me/history.csv")
@login_required
def my_history_csv():
    entries = history(current_user)
    return csv_response(
        history_header(), history_rows(entries), "kakawari-history.csv", headers=PRIVATE
    )


@bp.route("/me/history.json")
@login_required
def my_history_json():
    # in the API's shape (its schema), so the download and GET /api/v1/me/history agree
    data = HistorySchema().dump(history_payload(history(current_user), certificate_url))
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={**PRIVATE, "Content-Disposition": 'attachment; filename="kakawari-history.json"'},
    )


@bp.route("/me/data.json")
@login_required
def my_data_json():
    """Everything held about the person who asks (and nobody else), as one download."""
    data = personal_data(current_user, utcnow())
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            **PRIVATE,
            "Content-Disposition": 'attachment; filename="kakawari-personal-data.json"',
        },
    )


def _issue(series: Series):
    try:
        return certificates.issue(current_user, series)
    except IntegrityError:  # a second click at the same moment issued it: use that one
        db.session.rollback()
        return certificates.issue(current_user, series)


@bp.route("/me/certificates/<int:series_id>.pdf")
@login_required
def certificate_link(series_id: int):
    """The certificate is a POST (its first download issues it, audited; a GET never writes):
    an old link lands on its button in 参加履歴."""
    return redirect(url_for(".my_history", _anchor=f"series-{series_id}"))


@bp.route("/me/certificates/<int:series_id>.pdf", methods=["POST"])
@login_required
def certificate_pdf(series_id: int):
    """The person's own certificate: there is no way to ask for someone else's. Issued on the
    first download, kept in line with attendance on each: one commit, then the file."""
    series = db.session.get(Series, series_id)
    if series is None:
        raise NotFound(certificates.NOT_YET)
    try:
        certificate, found = _issue(series)
    except NotFound:
        db.session.commit()  # a certificate revoked after a correction stays revoked
        raise
    db.session.commit()  # issued (or brought in line with attendance): one unit of work
    verify_url = external_url("attendance.verify_certificate", code=certificate.code)
    data = certificates.certificate_pdf(certificate, found, verify_url)
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            **PRIVATE,
            "Content-Disposition": f'attachment; filename="certificate-{series_id}.pdf"',
        },
    )


def _checks_per_address() -> str:
    return current_app.config["CERTIFICATE_CHECKS_PER_ADDRESS"]


@bp.route("/certificates/<code>")
@limiter.limit(_checks_per_address, scope="certificate-check")
@public
def verify_certificate(code: str):
    """Anyone holding the URL (the holder shared it) may see the name and the certificate's
    facts, nothing else; the rate limit keeps guessing codes slow on top of their 128 bits.
    Checked against attendance as it is now, and read only: the withdrawal is recorded by the
    holder's next download."""
    certificate, found = certificates.verify(code)
    status = 200 if certificate is not None else 404
    page = render_template(
        "attendance/certificate_verify.html",
        certificate=certificate,
        valid=found is not None and found.completed,
        attended=found.attended if found is not None else None,
    )
    response = Response(page, status=status)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response
