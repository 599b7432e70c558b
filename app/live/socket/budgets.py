"""Rate limits of the live room: every event spends from a budget per person (all tabs and
processes together, through Redis when set); beyond it the event is refused with
rate_limited. When Redis does not answer, each process counts on its own until it does."""

import logging

from flask_babel import lazy_gettext as _l
from limits import parse, storage, strategies
from limits.errors import StorageError

from app.core.errors import RateLimited

#: name -> (config key, default)
BUDGETS = {
    "messages": ("LIVE_MESSAGES_PER_PERSON", "5 per 10 seconds"),
    # each join writes a presence row
    "presence": ("LIVE_JOINS_PER_PERSON", "20 per minute"),
    "actions": ("LIVE_ACTIONS_PER_PERSON", "30 per 10 seconds"),
}
#: the budget an event spends from: "actions" unless named here
BUDGET_OF = {
    "chat": "messages",
    "ask": "messages",
    "join": "presence",
    "leave": "presence",
    "heartbeat": "presence",
}
MESSAGES_TOO_FAST = _l("You are sending messages too fast. Please wait a few seconds.")
ACTIONS_TOO_FAST = _l("Too many actions in a short time. Please wait a few seconds.")

log = logging.getLogger(__name__)


class Budgets:
    """LiveSocket's rate limits (server.py gives it `channel`, the key prefix)."""

    def _init_budgets(self, config, redis_url: str | None) -> None:
        self.budgets = {
            name: parse(config.get(key, default)) for name, (key, default) in BUDGETS.items()
        }
        self.rate_storage = storage.storage_from_string(
            redis_url or "memory://",
            wrap_exceptions=True,
            **({"socket_connect_timeout": 2, "socket_timeout": 2} if redis_url else {}),
        )
        self.rate_limiter = strategies.MovingWindowRateLimiter(self.rate_storage)
        #: counts for this process alone while Redis does not answer
        self.rate_fallback = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def spend(self, event: str, user_id: int) -> None:
        """Every event spends from its budget (BUDGET_OF), per person; refused beyond it."""
        budget = BUDGET_OF.get(event, "actions")
        rate, keys = self.budgets[budget], (self.channel, budget, str(user_id))
        try:
            allowed = self.rate_limiter.hit(rate, *keys)
        except StorageError:  # Redis does not answer: count in this process until it does
            log.warning("live rate limit: Redis unavailable, counting in this process")
            allowed = self.rate_fallback.hit(rate, *keys)
        if not allowed:
            raise RateLimited(MESSAGES_TOO_FAST if budget == "messages" else ACTIONS_TOO_FAST)
