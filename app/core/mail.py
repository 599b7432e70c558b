"""Where `send_mail` used to live: it belongs to the mail area (`app.mail`), which core must not
import. TODO(issue 17, lead): registration's invitations, manage_services, notifications and
reminders still import it from here; point them at `app.mail`, then delete this module and its
ignore_imports line in pyproject.toml."""

from app.mail import send_mail

__all__ = ["send_mail"]
