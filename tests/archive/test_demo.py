"""The demo's finished session has an archive with viewing, so the dashboards show archive
figures on first run; loading the demo again adds nothing."""

from sqlalchemy import func, select

from app.accounts.models import User
from app.archive import services
from app.archive.models import Archive, ArchiveViewing
from app.demo.cli import seed_demo
from app.extensions import db


def test_the_demo_has_an_archive_with_viewing(app):
    with app.app_context():
        seed_demo()
        archive = db.session.scalar(select(Archive))
        assert archive.published_at is not None and archive.session.ends_at < archive.available_from
        people, minutes = services.figures([archive.session_id])[archive.session_id]
        assert people >= 10 and minutes > people * 5
        assert db.session.scalar(select(func.count()).select_from(ArchiveViewing)) == people
        # the demo participant (a venue place: the demo archive allows the venue) sees it
        demo = db.session.scalar(select(User).where(User.email == "participant@example.jp"))
        assert [a.id for a in services.available_for(demo.id)] == [archive.id]
        seed_demo()
        assert db.session.scalar(select(func.count()).select_from(Archive)) == 1
