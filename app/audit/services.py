from flask import has_request_context, request
from flask_login import current_user

from app.audit.models import AuditEvent
from app.extensions import db


def record(
    event: str,
    *,
    actor=None,
    subject=None,
    org=None,
    org_id: int | None = None,
    **details,
):
    """Add an audit event to the current transaction: it is committed with the change it
    records, by the edge. `org_id` instead of `org` saves loading the organisation. A download
    of personal data is audited by a POST that records it and commits before the file goes out
    (a GET never writes)."""
    if "commit" in details:  # it once could; now a caller that still asks fails loudly
        raise TypeError("audit.record() never commits: the edge commits once")
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if actor is None and current_user and current_user.is_authenticated:
            actor = current_user
    entry = AuditEvent(
        event=event,
        actor_id=getattr(actor, "id", None),
        subject_user_id=getattr(subject, "id", None),
        org_id=getattr(org, "id", None) if org is not None else org_id,
        ip=ip,
        details=details,
    )
    db.session.add(entry)
    return entry
