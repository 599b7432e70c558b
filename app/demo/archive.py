"""Demo archive (アーカイブ配信): the latest finished session of the 2026 ゼミ has its recording
published (venue people may watch too), and some people watched it, some in two tabs, so the
dashboards show archive figures on first run. Written as the archive page's heartbeats would
have written it."""

import random
from datetime import timedelta

from sqlalchemy import select

from app.archive.models import Archive, ArchiveInterval, ArchiveViewing
from app.archive.services import normalise_url
from app.core.intervals import merge_intervals
from app.events.models import Series
from app.extensions import db
from app.registration.models import Place, PlaceStatus, Registration

DEMO_URL = "https://www.youtube.com/watch?v=kakawari-demo1"


def seed_archive(zemi: Series, now) -> Archive | None:
    """Idempotent: a session that has an archive already is left alone."""
    past = [s for s in zemi.sessions if s.ends_at < now and not s.is_cancelled]
    if not past:
        return None
    session = past[-1]
    existing = db.session.scalar(select(Archive).where(Archive.session_id == session.id))
    if existing is not None:
        return existing
    kind, embed = normalise_url(DEMO_URL)
    opened = session.ends_at + timedelta(hours=3)
    archive = Archive(
        session_id=session.id,
        source_url=DEMO_URL,
        kind=kind,
        embed_url=embed,
        days=max(14, (now - opened).days + 14),
        venue_allowed=True,
        published_at=opened,
        notified_at=opened,
        available_from=opened,
        created_at=opened,
        updated_at=opened,
    )
    archive.available_until = opened + timedelta(days=archive.days)
    db.session.add(archive)
    user_ids = db.session.scalars(
        select(Registration.user_id)
        .join(Place, Place.registration_id == Registration.id)
        .where(Place.session_id == session.id, Place.status == PlaceStatus.confirmed)
        .order_by(Registration.user_id)
    ).all()
    rng = random.Random(14)
    for n, user_id in enumerate(rng.sample(user_ids, min(18, len(user_ids)))):
        start = opened + timedelta(hours=rng.randint(1, 72))
        spans = [(start, start + timedelta(minutes=rng.randint(6, 115)))]
        if n % 4 == 0:  # a second tab opened for a while: counted once
            spans.append((start + timedelta(minutes=3), start + timedelta(minutes=9)))
        for i, (a, b) in enumerate(spans):
            db.session.add(
                ArchiveInterval(
                    session_id=session.id,
                    user_id=user_id,
                    tab=f"demo-{user_id}-{i}",
                    started_at=a,
                    last_seen_at=b,
                )
            )
        merged = merge_intervals(spans)
        db.session.add(
            ArchiveViewing(
                session_id=session.id,
                user_id=user_id,
                seconds=int(sum((e - s).total_seconds() for s, e in merged)),
                first_at=spans[0][0],
                last_at=max(b for _a, b in spans),
            )
        )
    db.session.flush()
    return archive
