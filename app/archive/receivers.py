"""What the archive adds to other areas' pages and files without them importing it."""

from flask_babel import gettext as _
from sqlalchemy import select

from app.archive.models import ArchiveViewing
from app.extensions import db
from app.registration.signals import export_columns


class ViewingColumn:
    """The participant list's column per session: archive viewing minutes (empty: none)."""

    @staticmethod
    def header(session) -> str:
        return _("%(session)s: archive viewing (minutes)", session=session.title)

    @staticmethod
    def values(series, registrations) -> dict:
        user_ids = [r.user_id for r in registrations]
        if not user_ids:
            return {}
        rows = db.session.execute(
            select(ArchiveViewing.session_id, ArchiveViewing.user_id, ArchiveViewing.seconds).where(
                ArchiveViewing.session_id.in_([s.id for s in series.sessions]),
                ArchiveViewing.user_id.in_(user_ids),
            )
        )
        return {(sid, uid): seconds // 60 for sid, uid, seconds in rows}


@export_columns.connect
def _viewing_column(series, **_extra):
    return ViewingColumn
