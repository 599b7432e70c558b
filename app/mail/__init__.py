"""Outgoing mail: a queue (a table) that requests write to and a drainer empties.

`send_mail()`, the one function every area calls, adds a row to the caller's transaction, so a mail
goes out only when that transaction commits. Rows are sent by `drain()` (`queue.py`), run right
after the commit (`MAIL_DELIVERY=inline`, tests), by a thread in the server process (`thread`,
`make run`) or by `flask mail worker` (`worker`, production): see `delivery.py`. A failed send is
retried with exponential backoff and given up as `failed` after MAIL_MAX_ATTEMPTS (`flask mail
status`).
"""

from app.mail.queue import send_mail

__all__ = ["send_mail"]
