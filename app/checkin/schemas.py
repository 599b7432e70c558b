"""Schemas of tickets and venue check-in (受付): what the check-in API takes and answers, and
what the scanner page's JavaScript reads. Imported by the API (app/api/checkin.py) and the
offline sync (checkin.sync)."""

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields
from marshmallow.validate import Length, Range, Regexp

from app.checkin.queries import MAX_ID
from app.checkin.rules import Reason
from app.events.models import Mode
from app.registration.models import PlaceStatus

#: how many queued scans one sync request may carry
MAX_SYNC_BATCH = 500
STATUSES = ["ok", "already_checked_in", "rejected"]
REASONS = [r.value for r in Reason]
MODES = [m.value for m in Mode]
EXAMPLE_TIME = "2026-08-24T13:05:00+09:00"
NONCE = Regexp(r"^[\x21-\x7e]{1,64}$", error=_l("Use 1 to 64 visible ASCII characters."))


def _secret_field(**kwargs):
    # Any JSON value is accepted: what is not a ticket's text is a `rejected` verdict, not a 422.
    return fields.Raw(
        metadata={"type": "string", "description": "The QR code's text, as scanned"}, **kwargs
    )


def _scanned_at(**kwargs):
    return fields.AwareDateTime(
        error_messages={
            "invalid_awareness": _l(
                "Give the time with its offset, e.g. 2026-08-24T13:30:00+09:00."
            )
        },
        metadata={"example": EXAMPLE_TIME, "description": "The device's scan time, with offset"},
        **kwargs,
    )


def _venue_id(strict=True, **kwargs):
    return fields.Integer(
        strict=strict,
        validate=Range(1, MAX_ID),
        metadata={
            "description": "The venue the scanner works at (サテライト会場): one of the session's"
            " venues; needed when the session has several, else its only venue"
        },
        **kwargs,
    )


def _override():
    return fields.Boolean(
        load_default=False,
        metadata={
            "description": "Staff let a ticket for another venue of the session in here"
            " (「この会場で受付」): admitted at this venue and logged. Overrides only"
            " `wrong_venue`"
        },
    )


def _override_note():
    return fields.String(
        load_default="",
        validate=Length(max=200),
        metadata={"description": "Why, for the organisation's log (optional)"},
    )


def _device_id():
    return fields.String(
        load_default="", metadata={"description": "The scanning phone (kept, at most 64 chars)"}
    )


class ScanRequest(Schema):
    class Meta:
        #: a scanner sends whatever it read: control characters get a verdict, not a 422
        any_text = True

    secret = _secret_field(required=True, allow_none=True)
    nonce = fields.String(
        validate=NONCE,
        metadata={"description": "Idempotency key: the same nonce again is the same scan"},
    )
    scanned_at = _scanned_at()
    device_id = _device_id()
    venue_id = _venue_id()
    override = _override()
    override_note = _override_note()


class SyncScan(Schema):
    """One queued offline scan: a ticket's `secret`, or a `registration_id` checked in by hand
    from the downloaded list."""

    class Meta:
        unknown = EXCLUDE  # a newer scanner's extra fields must not lose its scans

    secret = _secret_field(allow_none=True)
    registration_id = fields.Integer(strict=True, validate=Range(1, MAX_ID))
    nonce = fields.String(required=True, validate=NONCE)
    scanned_at = _scanned_at(required=True)
    device_id = _device_id()
    venue_id = _venue_id()
    override = _override()
    override_note = _override_note()
    offline_verdict = fields.String(
        allow_none=True,
        metadata={
            "enum": STATUSES,
            "description": '"ok" when the phone let the person in while offline',
        },
    )


class _EachOnItsOwn(fields.Nested):
    """Documented as its schema, but loaded one item at a time by the view: one bad scan gets
    its own error result and never fails the batch."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        return value


class SyncRequest(Schema):
    class Meta:
        #: a scanner sends whatever it read: control characters get a verdict, not a 422
        any_text = True

    scans = fields.List(
        _EachOnItsOwn(SyncScan, allow_none=True),
        required=True,
        validate=Length(max=MAX_SYNC_BATCH),
        metadata={"description": f"At most {MAX_SYNC_BATCH} per request; see SyncScan"},
    )
    venue_id = _venue_id(
        load_default=None,
        allow_none=True,
    )


class ManualRequest(Schema):
    registration_id = fields.Integer(strict=True, required=True, validate=Range(1, MAX_ID))
    nonce = fields.String(validate=NONCE)
    venue_id = _venue_id()
    override = _override()
    override_note = _override_note()


class VenueQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    venue_id = _venue_id(strict=False)  # from the query string


class RegistrationBrief(Schema):
    id = fields.Integer()
    name = fields.String()
    furigana = fields.String()
    mode = fields.String(allow_none=True, metadata={"enum": MODES})


class Answer(Schema):
    label = fields.String()
    value = fields.String()


class VerdictOut(Schema):
    status = fields.String(metadata={"enum": STATUSES})
    reason = fields.String(allow_none=True, metadata={"enum": REASONS})
    message = fields.String(metadata={"description": "What to show, in the caller's language"})
    warning = fields.String(
        allow_none=True,
        metadata={"description": "registered_online: let in, their mode is now venue"},
    )
    duplicate = fields.Boolean(
        metadata={"description": "An offline admission of someone already in (flagged)"}
    )
    registration = fields.Nested(RegistrationBrief, allow_none=True)
    checkin_id = fields.Integer(allow_none=True)
    checked_in_at = fields.String(
        allow_none=True,
        metadata={"format": "date-time", "description": "When the standing check-in happened"},
    )
    checked_in_by = fields.String(allow_none=True)
    checked_in_venue = fields.String(
        allow_none=True, metadata={"description": "The venue the standing check-in was made at"}
    )
    venue_override = fields.Boolean(
        metadata={"description": "Let in here with a ticket for another venue (logged)"}
    )
    ticket_venue = fields.String(
        allow_none=True,
        metadata={"description": "`wrong_venue`: the venue the ticket is for (e.g. 松江会場)"},
    )
    overridable = fields.Boolean(
        metadata={"description": "Staff may let the person in here anyway: send `override`"}
    )
    answers = fields.List(
        fields.Nested(Answer), metadata={"description": "Answers shown at check-in"}
    )


class ItemError(Schema):
    code = fields.String(metadata={"example": "validation_error"})
    message = fields.String()
    fields = fields.Dict(keys=fields.String(), values=fields.Raw())


class SyncResult(VerdictOut):
    nonce = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": [*STATUSES, "error"]})
    error = fields.Nested(
        ItemError, metadata={"description": "Only with status `error`: this scan was not recorded"}
    )


class SyncResults(Schema):
    results = fields.List(fields.Nested(SyncResult), metadata={"description": "In scan order"})


class VenueBrief(Schema):
    id = fields.Integer()
    name = fields.String()


class OfflineSession(Schema):
    id = fields.Integer()
    title = fields.String()
    series_title = fields.String()
    status = fields.String(metadata={"enum": ["scheduled", "cancelled"]})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    checkin_opens_at = fields.DateTime()
    checkin_closes_at = fields.DateTime()
    venue = fields.Nested(VenueBrief, metadata={"description": "The venue this list is for"})
    venues = fields.List(fields.Nested(VenueBrief), metadata={"description": "All its venues"})


class ElsewhereEntry(Schema):
    hash = fields.String(metadata={"description": "SHA-256 (hex) of the ticket's secret"})
    venue_id = fields.Integer(metadata={"description": "The venue the ticket is for"})


class OfflineEntry(Schema):
    hash = fields.String(metadata={"description": "SHA-256 (hex) of the ticket's secret"})
    registration_id = fields.Integer()
    name = fields.String()
    furigana = fields.String()
    mode = fields.String(metadata={"enum": MODES})
    status = fields.String(metadata={"enum": [s.value for s in PlaceStatus]})
    checked_in = fields.Boolean()


class OfflineList(Schema):
    session = fields.Nested(OfflineSession)
    generated_at = fields.DateTime()
    entries = fields.List(
        fields.Nested(OfflineEntry),
        metadata={"description": "People of this venue, and people registered online"},
    )
    elsewhere = fields.List(
        fields.Nested(ElsewhereEntry),
        metadata={
            "description": "Confirmed tickets for another venue of the session: only their hash"
            " and venue, so an offline scan names the right venue and shows nobody's name"
        },
    )


class RecentCheckIn(Schema):
    id = fields.Integer()
    registration_id = fields.Integer()
    name = fields.String()
    furigana = fields.String()
    checked_in_at = fields.DateTime()
    checked_in_by = fields.String(allow_none=True)
    source = fields.String(metadata={"enum": ["scan", "manual", "offline"]})
    mode_changed = fields.Boolean()
    duplicate = fields.Boolean()
    venue_override = fields.Boolean()


class StatusOut(Schema):
    expected = fields.Integer(metadata={"description": "Confirmed venue places"})
    checked_in = fields.Integer()
    duplicates = fields.Integer(metadata={"description": "Flagged offline double admissions"})
    came_instead_of_online = fields.Integer()
    from_other_venues = fields.Integer(
        metadata={"description": "Let in here with a ticket for another venue (overrides)"}
    )
    recent = fields.List(fields.Nested(RecentCheckIn), metadata={"description": "Newest first"})


class SearchQuery(Schema):
    class Meta:
        unknown = EXCLUDE
        any_text = True  # what was typed at the door is searched for, or finds nobody

    q = fields.String(
        load_default="",
        validate=Length(max=100),
        metadata={"description": "Name or ふりがな (any part, from 1 character), or a whole email"},
    )


class Person(Schema):
    id = fields.Integer(metadata={"description": "The registration (for manual check-in)"})
    name = fields.String()
    furigana = fields.String()
    mode = fields.String(metadata={"enum": MODES})
    status = fields.String(metadata={"enum": [s.value for s in PlaceStatus]})
    checked_in = fields.Boolean()
    checkin_id = fields.Integer(allow_none=True, metadata={"description": "To undo it"})
    venue = fields.String(
        allow_none=True, metadata={"description": "The venue of a venue place (its name)"}
    )
    venue_id = fields.Integer(allow_none=True)
