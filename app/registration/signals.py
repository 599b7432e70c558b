"""What registration announces; notifications (and later attendance) listen."""

from blinker import Namespace

_signals = Namespace()

#: sent with the Registration after a change committed: kind is "registered", "cancelled",
#: "switched", "promoted" or "lottery"; promoted lists the places given to people who waited
places_changed = _signals.signal("places-changed")

#: sent with a Registration when its email is sent (by the mail queue's drainer); receivers
#: return a list of (filename, bytes, mimetype) to attach (check-in attaches the ticket's QR code)
mail_attachments = _signals.signal("mail-attachments")
