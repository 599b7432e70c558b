"""関わり証明 pages: the person's own record of a 年度 (choice of organisations, verification
links, PDF/JSON/CSV), and the public page a verification link opens."""

import base64
import io

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    json,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.attendance.certificates import _qr_image
from app.core.access import login_required, public
from app.core.csvfile import to_bytes
from app.core.urls import external_url
from app.extensions import db, limiter
from app.records import exports, services
from app.records.models import ActivityRecordLink
from app.registration.forms import MODE_LABELS

bp = Blueprint("records", __name__)

PRIVATE = {"Cache-Control": "private, no-store"}


def link_url(link: ActivityRecordLink) -> str:
    return external_url("records.verify", code=link.code)


def _latest_url(record: services.Record) -> str | None:
    links = record.active_links
    return link_url(links[-1]) if links else None


def _qr_data_uri(url: str) -> str:
    out = io.BytesIO()
    _qr_image(url).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@bp.route("/me/records")
@login_required
def current():
    return redirect(
        url_for(".record", year=services.valid_year(services.latest_year(current_user)))
    )


@bp.route("/me/records/<int:year>")
@login_required
def record(year: int):
    record = services.record_for(current_user, services.valid_year(year))
    links = [(link, link_url(link), _qr_data_uri(link_url(link))) for link in record.active_links]
    return render_template(
        "records/record.html",
        record=record,
        links=links,
        years=services.years_of(current_user),
        MODE_LABELS=MODE_LABELS,
        region=exports.region,
    )


@bp.route("/me/records/<int:year>/orgs", methods=["POST"])
@login_required
def choose(year: int):
    services.valid_year(year)
    chosen = set()
    for value in request.form.getlist("org_id"):
        if not value.isdigit() or len(value) > 12:
            flash(_("Choose organisations from the list."), "error")
            return redirect(url_for(".record", year=year))
        chosen.add(int(value))
    services.choose_orgs(current_user, year, chosen)
    db.session.commit()
    flash(_("Saved: the record shows the organisations you chose."), "success")
    return redirect(url_for(".record", year=year))


@bp.route("/me/records/<int:year>/links", methods=["POST"])
@login_required
def create_link(year: int):
    services.create_link(current_user, services.valid_year(year))
    db.session.commit()
    flash(_("Verification link created."), "success")
    return redirect(url_for(".record", year=year, _anchor="links"))


@bp.route("/me/records/links/<int:link_id>/withdraw", methods=["POST"])
@login_required
def withdraw_link(link_id: int):
    link = services.withdraw_link(current_user, link_id)
    year = link.record.year
    db.session.commit()
    flash(_("The link was withdrawn: its address no longer opens the record."), "success")
    return redirect(url_for(".record", year=year, _anchor="links"))


def _attachment(data: bytes, mimetype: str, name: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/me/records/<int:year>.pdf")
@login_required
def record_pdf(year: int):
    record = services.record_for(current_user, services.valid_year(year))
    data = exports.record_pdf(record, _latest_url(record))
    return _attachment(data, "application/pdf", f"kakawari-record-{year}.pdf")


@bp.route("/me/records/<int:year>.json")
@login_required
def record_json(year: int):
    record = services.record_for(current_user, services.valid_year(year))
    data = json.dumps(exports.payload(record, _latest_url(record)), ensure_ascii=False, indent=2)
    return _attachment(data.encode(), "application/json", f"kakawari-record-{year}.json")


@bp.route("/me/records/<int:year>.csv")
@login_required
def record_csv(year: int):
    record = services.record_for(current_user, services.valid_year(year))
    data = to_bytes(exports.CSV_HEADER, exports.csv_rows(record))
    return _attachment(data, "text/csv", f"kakawari-record-{year}.csv")


def _checks_per_address() -> str:
    return current_app.config["CERTIFICATE_CHECKS_PER_ADDRESS"]


@bp.route("/records/<code>")
@limiter.limit(_checks_per_address, scope="record-check")
@public
def verify(code: str):
    """Whoever holds the link sees the record as the database says now; unknown, tampered and
    withdrawn codes: 404."""
    record = services.verify(code)
    page = render_template(
        "records/verify.html", record=record, MODE_LABELS=MODE_LABELS, region=exports.region
    )
    response = Response(page, status=200 if record is not None else 404)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response
