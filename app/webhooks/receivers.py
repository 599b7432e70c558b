"""What every area announces inside its transactions, turned into webhook events: the
deliveries are added to that transaction (app.webhooks.outbox), so a rolled-back change sends
nothing. Payloads hold ids and the few fields the organisation already sees on its pages."""

from app.attendance.signals import attendance_finalised, certificate_changed
from app.checkin.signals import check_in_recorded
from app.events.signals import session_changing
from app.registration.models import Place, Registration, RegistrationStatus
from app.registration.signals import places_changing
from app.webhooks.outbox import enqueue, iso

#: registration kinds that decide places: the registration's status names the event
_DECIDING = {"registered", "added", "lottery"}
_BY_STATUS = {
    RegistrationStatus.confirmed: "registration.confirmed",
    RegistrationStatus.waitlisted: "registration.waitlisted",
}


def _person(user) -> dict:
    return {"id": user.id, "name": user.name}


def _registration(registration: Registration, places=None) -> dict:
    places = registration.places if places is None else places
    return {
        "id": registration.id,
        "series_id": registration.series_id,
        "status": registration.status.value,
        "person": _person(registration.user),
        "places": [
            {"session_id": p.session_id, "mode": p.mode.value, "status": p.status.value}
            for p in places
        ],
    }


def _tell_registration(event_type: str, registration: Registration, places=None) -> None:
    enqueue(
        registration.series.org_id,
        event_type,
        f"registration:{registration.id}",
        {"registration": _registration(registration, places)},
    )


@places_changing.connect
def _on_places(registration: Registration, kind: str, promoted=(), **_extra) -> None:
    if kind in _DECIDING and registration.status in _BY_STATUS:
        _tell_registration(_BY_STATUS[registration.status], registration)
    elif kind == "cancelled":
        _tell_registration("registration.cancelled", registration)
    by_registration: dict[int, list[Place]] = {}
    for place in promoted:
        by_registration.setdefault(place.registration_id, []).append(place)
    for places in by_registration.values():
        _tell_registration("registration.promoted", places[0].registration, places)


@check_in_recorded.connect
def _on_check_in(session, checkin, undone: bool = False, **_extra) -> None:
    if checkin.duplicate_of_id is not None:
        return  # a second scan of someone already in: nothing new happened
    enqueue(
        session.series.org_id,
        "checkin.undone" if undone else "checkin.created",
        f"registration:{checkin.registration_id}",
        {
            "checkin": {
                "id": checkin.id,
                "session_id": checkin.session_id,
                "registration_id": checkin.registration_id,
                "person": _person(checkin.registration.user),
                "checked_in_at": iso(checkin.checked_in_at),
            }
        },
    )


def _session(session) -> dict:
    return {
        "id": session.id,
        "series_id": session.series_id,
        "title": session.title,
        "starts_at": iso(session.starts_at),
        "ends_at": iso(session.ends_at),
        "status": session.status.value,
    }


@session_changing.connect
def _on_session(session, changes=(), **_extra) -> None:
    cancelled = "cancelled" in changes
    enqueue(
        session.series.org_id,
        "session.cancelled" if cancelled else "session.changed",
        f"session:{session.id}",
        {"session": _session(session), "changes": sorted(changes)},
    )


@attendance_finalised.connect
def _on_final(session, **_extra) -> None:
    enqueue(
        session.series.org_id, "attendance.finalised", f"session:{session.id}",
        {"session": _session(session)},
    )  # fmt: skip


@certificate_changed.connect
def _on_certificate(certificate, kind: str, **_extra) -> None:
    enqueue(
        certificate.series.org_id,
        "certificate.withdrawn" if kind == "withdrawn" else "certificate.issued",
        f"certificate:{certificate.id}",
        {
            "certificate": {
                "id": certificate.id,
                "series_id": certificate.series_id,
                "person": _person(certificate.user),
                "sessions_attended": certificate.sessions_attended,
                "withdrawn": certificate.revoked_at is not None,
            }
        },
    )
