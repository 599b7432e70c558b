"""What check-in announces; attendance listens (check-in never imports it)."""

from blinker import Namespace

_signals = Namespace()

#: sent with the Session after a check-in committed (checkin=CheckIn), through the after-commit
#: queue (app.core.uow): each receiver's writes are its own unit of work, committed after it
checked_in = _signals.signal("checked-in")
#: sent with the Session after a check-in was undone (checkin=CheckIn)
checkin_undone = _signals.signal("checkin-undone")
#: sent with the Session inside the transaction of a check-in (checkin=CheckIn, undone=False)
#: or of its undoing (undone=True), before the commit: receivers only add rows to it (webhooks)
check_in_recorded = _signals.signal("check-in-recorded")
