"""The offline sync: scans queued on a phone while it was offline, sent in a batch.

Each queued scan is read and decided on its own (`decide_queued`); the caller (the API's sync
route, the edge) commits each one as its own unit of work, so one that fails never loses the
others, and answers each with its verdict or its own error."""

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from app.accounts.models import User
from app.checkin import services
from app.checkin.queries import registration_in_series
from app.checkin.schemas import SyncScan
from app.checkin.services import Verdict
from app.core.text import printable
from app.events.models import Session


def item_nonce(item) -> str | None:
    """The nonce a queued scan names, to answer it by, when it is a usable one."""
    nonce = item.get("nonce") if isinstance(item, dict) else None
    return nonce if isinstance(nonce, str) and len(nonce) <= 64 else None


def decide_queued(session: Session, staff: User, item, venue_id: int | None = None) -> Verdict:
    """One queued scan's verdict, recorded in the caller's transaction (flushed, not
    committed). Raises ValidationError for a scan that cannot be read, NotFound for a
    registration outside the session's series.

    Only what the scanner could have seen is accepted. A scan names its person by the ticket's
    `secret` (a QR read offline) or by `registration_id` (a check-in by name from the
    downloaded list, no ticket in hand); either way it is decided as at its `scanned_at`, which
    must lie in the session's check-in window (`too_early` / `closed` otherwise, as on the
    phone), and the sync must arrive by the session's sync deadline (CHECKIN_SYNC_GRACE_HOURS
    after check-in closed; `synced_too_late` after). A `registration_id` must hold a place in
    this session (a place elsewhere in the series is `not_registered`).

    A scan is decided at the venue it names (`venue_id`; else the batch's `venue_id`; else the
    session's only venue), with `override` when staff let a ticket for another venue in there:
    the batch of one phone at one venue reconciles as that venue's, exactly once (by nonce)."""
    scan = SyncScan().load(item)
    if ("secret" in scan) == ("registration_id" in scan):
        raise ValidationError(_l("Send either secret or registration_id."), "_schema")
    registration = None
    if "registration_id" in scan:
        registration = registration_in_series(session, scan["registration_id"])
    return services.decide(
        session,
        staff,
        secret=scan.get("secret"),
        registration=registration,
        nonce=scan["nonce"],
        scanned_at=scan["scanned_at"],
        device_id=printable(scan["device_id"], 64),
        source="offline",
        admitted_offline=scan.get("offline_verdict") == "ok",
        venue_id=scan.get("venue_id", venue_id),
        override=scan["override"],
        note=printable(scan["override_note"], 200),
    )
