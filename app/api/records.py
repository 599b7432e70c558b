"""API: the caller's 関わり証明 (yearly record of activities) and its public verification."""

from flask_login import current_user

from app.api import Blueprint, ErrorSchema
from app.api.accounts import BEARER
from app.core.access import login_required, public
from app.core.errors import NotFound
from app.core.urls import external_url
from app.records import exports, services
from app.records.schemas import YearlyRecordOut

blp = Blueprint("api_records", __name__, description="Record of activities (関わり証明)")


def _latest_url(record: services.Record) -> str | None:
    links = record.active_links
    return external_url("records.verify", code=links[-1].code) if links else None


@blp.route("/me/records/<int:year>", methods=["GET"])
@blp.response(200, YearlyRecordOut)
@blp.alt_response(401, schema=ErrorSchema, description="Not logged in")
@blp.alt_response(404, schema=ErrorSchema, description="No such fiscal year")
@blp.doc(security=BEARER)
@login_required
def my_record(year: int):
    """The caller's record of activities for a 年度, with the organisations they chose.

    The sessions of the 年度 whose attendance is final and where the caller attended at the
    venue or online (not partial presence), with the latest verification link if any."""
    record = services.record_for(current_user, services.valid_year(year))
    return exports.payload(record, _latest_url(record))


@blp.route("/records/<code>", methods=["GET"])
@blp.response(200, YearlyRecordOut)
@blp.alt_response(404, schema=ErrorSchema, description="Unknown or withdrawn link")
@public
def verify(code: str):
    """The record a verification link shows (public: the link's code is the key).

    Recomputed from the database at each request; a withdrawn link answers 404."""
    record = services.verify(code)
    if record is None:
        raise NotFound()
    return exports.payload(record, external_url("records.verify", code=code))
