"""What the events area announces; registration listens (events never imports it)."""

from blinker import Namespace

_signals = Namespace()

#: sent with the Session after an organiser's change committed. changes is a set of
#: "time", "place", "capacity", "cancelled", "other": what people holding a place should hear of
session_changed = _signals.signal("session-changed")

#: sent with the Series after its cancellation committed (then session_changed for each session
#: it cancelled)
series_cancelled = _signals.signal("series-cancelled")

#: sent with the Session and changes (as session_changed) inside the change's transaction,
#: before the commit: receivers only add rows that commit with it (the webhooks outbox)
session_changing = _signals.signal("session-changing")

#: sent with a SessionVenue an organiser removes, inside the change's transaction, before it
#: goes: a receiver refuses (raises) while the venue holds places, and lets go of the others
venue_removing = _signals.signal("venue-removing")
