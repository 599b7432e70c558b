"""What a visitor, a participant and venue staff do over plain HTTP, each step reporting its
status (0 when no answer came in time): the fault tests check that none of it turns into a
5xx or a hang while something behind the server is down."""

import re
import secrets
from dataclasses import dataclass

import requests
from werkzeug.security import generate_password_hash

from app.extensions import db

PASSWORD = "resilient-horse-9"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_login(app, email: str) -> None:
    """A participant who logs in with PASSWORD."""
    from app.accounts.models import User
    from app.core.types import utcnow

    with app.app_context():
        db.session.add(
            User(
                email=email,
                password_hash=generate_password_hash(PASSWORD),
                name="耐久 太郎",
                furigana="たいきゅう たろう",
                prefecture="32",
                locale="ja",
                consent_at=utcnow(),
                consent_version="2026-04",
            )
        )
        db.session.commit()
        db.session.remove()


@dataclass
class Step:
    name: str
    status: int
    seconds: float
    detail: str = ""


class Visitor:
    """One person's browser and API client against one server."""

    def __init__(self, port: int, timeout: float = 10):
        self.base, self.timeout = f"http://127.0.0.1:{port}", timeout

    def _do(self, name: str, method: str, path: str, session=None, **kwargs) -> Step:
        http = session or requests
        try:
            response = http.request(
                method, self.base + path, timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            return Step(name, 0, self.timeout, repr(exc))
        return Step(name, response.status_code, response.elapsed.total_seconds(), response.text)

    def public_pages(self, series_id: int) -> list[Step]:
        return [
            self._do("home", "GET", "/"),
            self._do("series list", "GET", "/series"),
            self._do("series page", "GET", f"/series/{series_id}"),
            self._do("login page", "GET", "/login"),
        ]

    def web_login(self, email: str, password: str = PASSWORD) -> Step:
        """The login form, CSRF token and all; 302 when it let the person in."""
        with requests.Session() as browser:
            page = self._do("login form", "GET", "/login", browser)
            token = CSRF.search(page.detail)
            if page.status != 200 or token is None:
                return page
            return self._do(
                "web login" if password == PASSWORD else "web login (wrong password)",
                "POST",
                "/login",
                browser,
                data={"csrf_token": token.group(1), "email": email, "password": password},
            )

    def api_login(self, email: str, password: str = PASSWORD) -> Step:
        return self._do(
            "API login" if password == PASSWORD else "API login (wrong password)",
            "POST",
            "/api/v1/auth/token",
            json={"email": email, "password": password},
        )

    def api_signup(self) -> Step:
        return self._do(
            "API sign-up",
            "POST",
            "/api/v1/users",
            json={
                "email": f"signup.{secrets.token_hex(4)}@example.jp",
                "password": PASSWORD,
                "name": "新規 花子",
                "furigana": "しんき はなこ",
                "prefecture": "13",
                "consent": True,
            },
        )

    def api_register(self, series_id: int, token: str) -> Step:
        return self._do(
            "API registration",
            "POST",
            f"/api/v1/series/{series_id}/registrations",
            headers={"Authorization": f"Bearer {token}"},
            json={"mode": "venue", "consent": True},
        )

    def scan(self, session_id: int, token: str, secret: str, nonce: str) -> Step:
        return self._do(
            "check-in scan",
            "POST",
            f"/api/v1/sessions/{session_id}/checkins",
            headers={"Authorization": f"Bearer {token}"},
            json={"secret": secret, "nonce": nonce, "device_id": "phone-resilience"},
        )

    def health(self) -> Step:
        return self._do("healthz", "GET", "/healthz")


def failures(steps: list[Step], allowed: dict[str, set[int]]) -> list[tuple]:
    """(name, status, seconds) of the steps whose status is not one allowed for them."""
    return [(s.name, s.status, s.seconds) for s in steps if s.status not in allowed[s.name]]
