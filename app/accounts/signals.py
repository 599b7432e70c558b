"""Signals other areas listen to, so accounts never imports them."""

from blinker import Namespace

_signals = Namespace()

#: sent with user=... before an account is anonymised; a receiver returns a message to refuse
#: (e.g. "last owner of an organisation") or None after cleaning up its own rows
account_deleting = _signals.signal("account-deleting")

#: sent with user_id=... after every session and remember-me cookie of a person ended (logging
#: out, a password change or reset): what was opened with one of them (a live socket) closes
sessions_ended = _signals.signal("sessions-ended")
#: sent with user_id=..., token_ids=[...] after API tokens were revoked (one by its owner, every
#: one on a password change or reset): what was opened with one of them closes
api_tokens_revoked = _signals.signal("api-tokens-revoked")
