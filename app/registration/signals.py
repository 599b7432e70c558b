"""What registration announces; notifications (and later attendance) listen."""

from blinker import Namespace

_signals = Namespace()

#: sent with the Registration after a change committed: kind is "cancelled", "mode_switched"
#: (the person chose the other mode), "switched" (moved at the door), "promoted", "lottery" or
#: "added" (sessions booked later, listed in `places`; receivers take **extra keywords);
#: promoted lists the places given to people who waited. For "registered" it is sent inside the
#: registration's own transaction, once its places are decided, before the edge's commit; the
#: others through app.core.uow.after_commit, once the change committed. Either way receivers add
#: their rows (a ticket, mails) to the session and never commit or roll back: the edge commits
#: them with the registration, or the after-commit queue as their own unit of work.
places_changed = _signals.signal("places-changed")

#: sent with a Registration when its email is sent (by the mail queue's drainer); receivers
#: return a list of (filename, bytes, mimetype) to attach (check-in attaches the ticket's QR code)
mail_attachments = _signals.signal("mail-attachments")

#: sent with the Series when its participant list is exported (participants_export.py);
#: receivers return a provider of one more column a session: `header(session) -> str` and
#: `values(series, registrations) -> {(session_id, user_id): value}` (one query a batch).
#: Archive viewing (app/archive) adds its minutes this way.
export_columns = _signals.signal("export-columns")

#: sent with the Registration and the same keywords as places_changed, inside the change's own
#: transaction, before its commit: receivers add rows that must commit with the change or not
#: at all (the webhooks outbox); they never commit, roll back or send anything themselves
places_changing = _signals.signal("places-changing")
