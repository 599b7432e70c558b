"""What the live room announces; attendance listens (the live room never imports it)."""

from blinker import Namespace

_signals = Namespace()

#: sent with a session id after time in its room ended for some people (user_ids): a socket
#: left, or intervals of a crashed process were closed at their last sign of life
presence_closed = _signals.signal("presence-closed")
