"""Reminder senders racing: threads, each with its own app context (and so its own database
connection and transaction), running the reminder pass at the same instant."""

import threading

from app.extensions import db
from app.registration import reminders


class Rendezvous:
    """Installed over reminders._due: when `senders` is set, each sender waits after reading
    what is due until that many have read it, so all of them try to write every reminder."""

    def __init__(self, monkeypatch):
        self.barrier = None
        read_due = reminders._due

        def held_due(now):
            due = read_due(now)
            if self.barrier is not None:
                self.barrier.wait(timeout=30)
            return due

        monkeypatch.setattr(reminders, "_due", held_due)


def race(app, now, rendezvous: Rendezvous, senders: int = 2, hold: bool = True) -> None:
    """`senders` threads run one pass at `now` each, released together; each commits as the
    mail worker does. Fails on any sender's error."""
    start = threading.Barrier(senders)
    rendezvous.barrier = threading.Barrier(senders) if hold else None
    errors = []

    def sender():
        try:
            with app.app_context():
                start.wait(timeout=30)
                reminders.queue_due_reminders(now)
                db.session.commit()
        except Exception as exc:  # reported below, with the others'
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    rendezvous.barrier = None
    assert not errors, errors
