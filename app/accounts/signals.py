"""Signals other areas listen to, so accounts never imports them."""

from collections.abc import Callable
from dataclasses import dataclass, field

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

#: sent with user=..., now=... inside the deletion's transaction once nobody refused and the
#: person is anonymised: each area removes what it holds about them (flushes, never commits)
#: and returns an Erased, or None
account_erasing = _signals.signal("account-erasing")


@dataclass
class Erased:
    """What an area removed of a deleted account: counts for the audit record, and what to do
    once the deletion committed (its own unit of work, e.g. mailing who got a freed place)."""

    counts: dict[str, int] = field(default_factory=dict)
    after_commit: Callable[[], None] | None = None
