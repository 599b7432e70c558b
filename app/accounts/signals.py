"""Signals other areas listen to, so accounts never imports them."""

from blinker import Namespace

_signals = Namespace()

#: sent with user=... before an account is anonymised; a receiver returns a message to refuse
#: (e.g. "last owner of an organisation") or None after cleaning up its own rows
account_deleting = _signals.signal("account-deleting")
