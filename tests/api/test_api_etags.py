"""Two organisers editing one thing cannot overwrite each other unseen: reads and updates answer
with an ETag, an update sent with a stale If-Match is refused (412 precondition_failed, with the
current ETag) and changes nothing; without If-Match an update is still made."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.attendance import services as attendance
from app.attendance.models import Attendance
from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from app.surveys import services as surveys
from app.surveys.models import Survey
from tests.api.test_api_accounts import bearer
from tests.conftest import create_user
from tests.registration.factories import make_series


@pytest.fixture
def organiser(ctx, world):
    _row, secret = create_api_token(db.session.get(User, world["organizer"]), "etag")
    db.session.commit()
    return bearer(secret)


@pytest.fixture
def survey_id(ctx, world):
    series = make_series(world["org"], title="アンケートのある講座")
    survey = surveys.create_survey(series, series.sessions[0], "第1回 事後アンケート")
    db.session.commit()
    return survey.id


@pytest.fixture
def record_id(ctx, world):
    series = make_series(world["org"], title="出席のある講座")
    someone = create_user("attendee@example.jp")
    reg.register(series, someone, mode="venue", consent=True)
    session = series.sessions[0]
    session.starts_at = utcnow() - timedelta(minutes=30)
    session.ends_at = session.starts_at + timedelta(hours=2)
    db.session.commit()
    attendance.compute_session(session)
    db.session.commit()
    return db.session.scalar(select(Attendance.id).where(Attendance.user_id == someone.id))


def _settings(survey_id):
    return f"/api/v1/surveys/{survey_id}/settings"


def test_two_patches_with_the_same_etag_one_is_made_the_other_refused(client, organiser, survey_id):
    read = client.get(f"/api/v1/surveys/{survey_id}", headers=organiser)
    etag = read.headers["ETag"]
    assert etag
    first = client.patch(
        _settings(survey_id), json={"open_days": 7}, headers={**organiser, "If-Match": etag}
    )
    assert first.status_code == 200 and first.json["open_days"] == 7
    assert first.headers["ETag"] != etag
    second = client.patch(
        _settings(survey_id), json={"open_days": 30}, headers={**organiser, "If-Match": etag}
    )
    assert second.status_code == 412
    assert second.json["error"]["code"] == "precondition_failed"
    # the answer names the current version, and nothing changed
    assert second.headers["ETag"] == first.headers["ETag"] == second.json["error"]["etag"]
    db.session.expire_all()
    assert db.session.get(Survey, survey_id).open_days == 7
    # with the current ETag the change is made
    third = client.patch(
        _settings(survey_id),
        json={"open_days": 30},
        headers={**organiser, "If-Match": second.headers["ETag"]},
    )
    assert third.status_code == 200 and third.json["open_days"] == 30


def test_a_change_made_on_the_page_makes_the_api_etag_stale(client, organiser, survey_id):
    etag = client.get(f"/api/v1/surveys/{survey_id}", headers=organiser).headers["ETag"]
    survey = db.session.get(Survey, survey_id)
    surveys.update_settings(
        survey,
        anonymous=True,
        to_venue=True,
        to_online=True,
        to_partial=False,
        to_archive=False,
        open_days=10,
    )
    db.session.commit()
    stale = client.patch(
        _settings(survey_id), json={"open_days": 3}, headers={**organiser, "If-Match": etag}
    )
    assert stale.status_code == 412


@pytest.mark.parametrize("if_match", [None, "*"])
def test_an_update_without_a_version_is_still_made(client, organiser, survey_id, if_match):
    headers = {**organiser, **({"If-Match": if_match} if if_match else {})}
    answer = client.patch(_settings(survey_id), json={"open_days": 5}, headers=headers)
    assert answer.status_code == 200 and answer.headers["ETag"]


@pytest.mark.parametrize("if_match", ['"nonsense"', 'W/"1.1"', '"999999.1"', '"1.99999999999"'])
def test_an_if_match_naming_no_current_version_is_refused(client, organiser, survey_id, if_match):
    answer = client.patch(
        _settings(survey_id), json={"open_days": 5}, headers={**organiser, "If-Match": if_match}
    )
    assert answer.status_code == 412 and answer.json["error"]["code"] == "precondition_failed"


def test_two_corrections_of_one_attendance_record_with_the_same_etag(client, organiser, record_id):
    path = f"/api/v1/attendance/{record_id}"
    read = client.get(path, headers=organiser)
    assert read.status_code == 200 and read.json["etag"] == read.headers["ETag"]
    headers = {**organiser, "If-Match": read.headers["ETag"]}
    first = client.patch(
        path, json={"status": "attended_venue", "reason": "紙の名簿"}, headers=headers
    )
    second = client.patch(path, json={"status": "absent", "reason": "見間違い"}, headers=headers)
    assert (first.status_code, second.status_code) == (200, 412)
    db.session.expire_all()
    assert db.session.get(Attendance, record_id).status.value == "attended_venue"


def test_every_update_in_the_document_takes_if_match_and_answers_an_etag(client):
    spec = client.get("/api/v1/openapi.json").json
    patches = [
        (path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method == "patch"
    ]
    assert len(patches) >= 2
    for path, op in patches:
        params = {(p["in"], p["name"]): p for p in op.get("parameters", [])}
        assert ("header", "If-Match") in params, path
        assert params["header", "If-Match"]["required"] is False
        assert "412" in op["responses"], path
        assert "ETag" in op["responses"]["200"]["headers"], path
