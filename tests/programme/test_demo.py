"""The demo's 委託元: 島根県's viewer logs in and sees the demo organisation's programme as
aggregates; `flask demo logins` lists the account; loading the demo again adds nothing."""

from sqlalchemy import func, select

from app.demo.cli import logins_command, seed_demo
from app.demo.viewer import VIEWER_EMAIL
from app.extensions import db
from app.programme.models import ViewerGrant
from tests.conftest import login


def test_the_demo_viewer_sees_the_programme_and_is_listed(app):
    with app.app_context():
        seed_demo()
        seed_demo()
        assert db.session.scalar(select(func.count()).select_from(ViewerGrant)) == 1
    client = app.test_client()
    login(client, VIEWER_EMAIL, password="kakawari-demo")
    assert "/programme" in client.get("/").get_data(as_text=True)
    page = client.get("/programme").get_data(as_text=True)
    assert "しまね関係人口ラボ" in page and "しまね関係人口ゼミ 2026" in page
    assert client.get("/programme?year=2026").status_code == 200
    listed = app.test_cli_runner().invoke(logins_command).output
    assert VIEWER_EMAIL in listed and "委託元" in listed
