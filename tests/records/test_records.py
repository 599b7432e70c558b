"""関わり証明: the page, PDF, JSON and CSV list exactly the person's final activities of the
年度 from the organisations they chose; the verification link shows the same, recomputed from
the database, until it is withdrawn."""

import csv
import io
import json
import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.archive.models import ArchiveViewing
from app.attendance.figures import fiscal_year_of
from app.attendance.models import Attendance, AttendanceStatus
from app.core.types import utcnow
from app.extensions import db
from app.records import services
from app.records.models import ActivityRecordLink
from tests.attendance.test_history import completed_online_series, two_orgs  # noqa: F401
from tests.conftest import PASSWORD, csrf_token, login
from tests.records.clock import YEAR, into_one_year, move_sessions


@pytest.fixture
def record_world(app, world, two_orgs):  # noqa: F811
    """two_orgs (A: venue 120 min and online 70 min attended; B: partial, absent, excused,
    cancelled) plus C, the other organisation's one 2-hour online session attended whole."""
    with app.app_context():
        person = db.session.get(User, world["participant"])
        c = completed_online_series(world["other_org"], person, title="島の未来塾", sessions=1)
        into_one_year()
        return {**two_orgs, "c": c.id, "c_sessions": [s.id for s in c.sessions]}


def _titles(html: str) -> list[str]:
    return re.findall(r'data-session="(\d+)"', html)


def test_the_page_lists_exactly_the_final_activities_of_the_year(app, client, world, record_world):
    login(client, "participant@example.jp")
    html = client.get(f"/me/records/{YEAR}").get_data(as_text=True)
    a0, a1 = record_world["a_sessions"][:2]
    c0 = record_world["c_sessions"][0]
    # venue and online attended; partial, absent, excused, cancelled and future ones are not
    assert sorted(_titles(html)) == sorted(str(i) for i in (a0, a1, c0))
    assert "しまね関係人口ゼミ 2026" in html and "島の未来塾" in html
    with app.app_context():
        record = services.record_for(db.session.get(User, world["participant"]), YEAR)
        minutes = {a.session.id: (a.mode.value, a.minutes) for a in record.activities}
    assert minutes == {a0: ("venue", 120), a1: ("online", 70), c0: ("online", 120)}


def test_only_chosen_organisations_appear_in_page_and_files(app, client, world, record_world):
    login(client, "participant@example.jp")
    token = csrf_token(client, f"/me/records/{YEAR}")
    r = client.post(
        f"/me/records/{YEAR}/orgs", data={"org_id": [str(world["org"])], "csrf_token": token}
    )
    assert r.status_code == 302
    a0, a1 = record_world["a_sessions"][:2]
    html = client.get(f"/me/records/{YEAR}").get_data(as_text=True)
    assert sorted(_titles(html)) == sorted([str(a0), str(a1)])
    assert "島の未来塾" not in html.split("record-activities")[1].split("</table>")[0]

    data = json.loads(client.get(f"/me/records/{YEAR}.json").data)
    assert [a["series"] for a in data["activities"]] == ["しまね関係人口ゼミ 2026"] * 2
    assert data["count"] == 2 and data["total_minutes"] == 190

    raw = client.get(f"/me/records/{YEAR}.csv").data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["日付", "主催団体", "講座"]
    assert [r[2] for r in rows[1:]] == ["しまね関係人口ゼミ 2026"] * 2
    assert sorted(r[6] for r in rows[1:]) == ["オンライン", "会場"]


def test_a_foreign_org_id_is_ignored_and_no_other_persons_record_is_reachable(
    app, client, world, record_world
):
    other = app.test_client()
    login(other, "other@example.jp")  # another person: their own (empty) record only
    html = other.get(f"/me/records/{YEAR}").get_data(as_text=True)
    assert 'data-testid="record-empty"' in html and "しまね" not in html
    # the participant creates a link; the other person cannot withdraw it
    login(client, "participant@example.jp")
    token = csrf_token(client, f"/me/records/{YEAR}")
    client.post(f"/me/records/{YEAR}/links", data={"csrf_token": token})
    with app.app_context():
        link_id = db.session.scalar(select(ActivityRecordLink.id))
    token = csrf_token(other, f"/me/records/{YEAR}")
    r = other.post(f"/me/records/links/{link_id}/withdraw", data={"csrf_token": token})
    assert r.status_code == 404
    assert other.get(f"/me/records/{YEAR + 5}").status_code == 404
    # an organisation id the person has no activity with is not stored
    token = csrf_token(client, f"/me/records/{YEAR}")
    r = client.post(
        f"/me/records/{YEAR}/orgs",
        data={"org_id": [str(world["org"]), "999999"], "csrf_token": token},
    )
    with app.app_context():
        record = services.stored_record(world["participant"], YEAR)
        assert [o.org_id for o in record.orgs] == [world["org"]]


def test_verification_matches_the_database_and_withdrawal_and_tampering_404(
    app, client, world, record_world
):
    login(client, "participant@example.jp")
    token = csrf_token(client, f"/me/records/{YEAR}")
    client.post(
        f"/me/records/{YEAR}/orgs", data={"org_id": [str(world["org"])], "csrf_token": token}
    )
    r = client.post(f"/me/records/{YEAR}/links", data={"csrf_token": token})
    assert r.status_code == 302
    page = client.get(f"/me/records/{YEAR}").get_data(as_text=True)
    assert "data:image/png;base64," in page  # the QR code
    with app.app_context():
        code = db.session.scalar(select(ActivityRecordLink.code))
    anonymous = app.test_client()
    a0, a1 = record_world["a_sessions"][:2]
    html = anonymous.get(f"/records/{code}").get_data(as_text=True)
    assert sorted(_titles(html)) == sorted([str(a0), str(a1)])
    with app.app_context():
        name = db.session.get(User, world["participant"]).name
    assert f'data-testid="record-name">{name}<' in html
    api = anonymous.get(f"/api/v1/records/{code}").json
    assert api["count"] == 2

    # the organiser corrects attendance: the link follows the database at once
    with app.app_context():
        record = db.session.scalar(
            select(Attendance).where(
                Attendance.session_id == a1, Attendance.user_id == world["participant"]
            )
        )
        record.status = AttendanceStatus.absent
        db.session.commit()
    assert _titles(anonymous.get(f"/records/{code}").get_data(as_text=True)) == [str(a0)]

    assert anonymous.get(f"/records/{code[:-1]}x").status_code == 404  # tampered
    assert anonymous.get(f"/records/{code}{code}").status_code == 404
    with app.app_context():
        link_id = db.session.scalar(select(ActivityRecordLink.id))
    client.post(f"/me/records/links/{link_id}/withdraw", data={"csrf_token": token})
    assert anonymous.get(f"/records/{code}").status_code == 404
    assert anonymous.get(f"/api/v1/records/{code}").status_code == 404


def test_the_api_gives_the_callers_own_record(app, client, world, record_world):
    login(client, "participant@example.jp")
    data = client.get(f"/api/v1/me/records/{YEAR}").json
    assert data["fiscal_year"] == YEAR and data["count"] == 3
    spec = client.get("/api/v1/openapi.json").json
    assert (
        "/api/v1/me/records/{year}" in spec["paths"] and "/api/v1/records/{code}" in spec["paths"]
    )


def test_the_pdf_is_in_japanese(app, client, world, record_world, tmp_path):
    login(client, "participant@example.jp")
    r = client.get(f"/me/records/{YEAR}.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    path = tmp_path / "record.pdf"
    path.write_bytes(r.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "関わり証明" in text
    assert "しまね関係人口ゼミ" in text and "島の未来塾" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    assert list(tmp_path.glob("p*.png"))


def test_archive_viewing_is_listed_apart_from_the_activities(app, client, world, record_world):
    b1 = record_world["b_sessions"][1]  # absent live, watched the recording afterwards
    a0 = record_world["a_sessions"][0]  # attended: its recording is not listed again
    with app.app_context():
        for session_id in (b1, a0):
            db.session.add(
                ArchiveViewing(session_id=session_id, user_id=world["participant"], seconds=600)
            )
        db.session.commit()
    login(client, "participant@example.jp")
    html = client.get(f"/me/records/{YEAR}").get_data(as_text=True)
    assert re.findall(r'data-viewing="(\d+)"', html) == [str(b1)]
    assert str(b1) not in _titles(html)
    data = json.loads(client.get(f"/me/records/{YEAR}.json").data)
    assert [v["minutes"] for v in data["archive_viewing"]] == [10]
    assert data["count"] == 3
    rows = list(
        csv.reader(io.StringIO(client.get(f"/me/records/{YEAR}.csv").data.decode("utf-8-sig")))
    )
    assert [r[6] for r in rows[1:]].count("アーカイブ視聴") == 1


def test_the_record_opens_on_the_year_of_the_latest_activity(app, client, world, record_world):
    """In April a municipality asks for the year just ended: /me/records opens the 年度 of the
    person's latest counted activity, and this one when there is none."""
    login(client, "participant@example.jp")
    assert client.get("/me/records").headers["Location"].endswith(f"/me/records/{YEAR}")
    with app.app_context():
        move_sessions(-timedelta(days=366))
    assert client.get("/me/records").headers["Location"].endswith(f"/me/records/{YEAR - 1}")
    stranger = app.test_client()
    login(stranger, world["emails"]["other"])
    with app.app_context():
        current = fiscal_year_of(utcnow())
    assert stranger.get("/me/records").headers["Location"].endswith(f"/me/records/{current}")


def test_the_download_holds_the_record_choices_and_deleting_the_account_withdraws_links(
    app, client, world, record_world
):
    login(client, "participant@example.jp")
    token = csrf_token(client, f"/me/records/{YEAR}")
    client.post(
        f"/me/records/{YEAR}/orgs", data={"org_id": [str(world["org"])], "csrf_token": token}
    )
    client.post(f"/me/records/{YEAR}/links", data={"csrf_token": token})
    with app.app_context():
        code = db.session.scalars(select(ActivityRecordLink.code)).one()
    assert client.get(f"/records/{code}").status_code == 200

    document = json.loads(client.get("/me/data.json").get_data(as_text=True))
    (kept,) = document["activity_records"]
    assert kept["year"] == YEAR and kept["organisations_shown"] == [world["org"]]
    assert len(kept["links"]) == 1 and kept["links"][0]["withdrawn_at"] is None
    assert code not in json.dumps(document)  # a leaked copy does not show the record

    with app.app_context():
        accounts.delete_account(db.session.get(User, world["participant"]), PASSWORD)
        db.session.commit()
    assert app.test_client().get(f"/records/{code}").status_code == 404
