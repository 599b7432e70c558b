"""What attendance announces inside its transactions (webhooks listen; attendance never
imports them). Receivers only add rows that commit with the change, or not at all."""

from blinker import Namespace

_signals = Namespace()

#: sent with the Session when its attendance became final (not when a final one is recomputed)
attendance_finalised = _signals.signal("attendance-finalised")
#: sent with a Certificate, kind="issued", "withdrawn" (corrections: the rule is no longer met)
#: or "reinstated", once the change is flushed
certificate_changed = _signals.signal("certificate-changed")
