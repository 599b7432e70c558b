"""The OpenAPI document is complete enough to generate a client from, and the browsable docs page
tells a newcomer how to authenticate."""

from collections import Counter

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _operations(spec):
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    ]


def test_every_operation_has_its_own_operation_id(client):
    operations = _operations(client.get("/api/v1/openapi.json").json)
    missing = [(m, p) for m, p, op in operations if not op.get("operationId")]
    assert not missing
    ids = Counter(op["operationId"] for _m, _p, op in operations)
    assert [i for i, n in ids.items() if n > 1] == []
    assert len(operations) > 30


def test_the_docs_page_shows_how_to_authenticate(client):
    page = client.get("/api/v1/docs", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "認証" in page and "Authorization: Bearer" in page
    assert 'href="/account#tokens"' in page  # where a token is made
    for scope in ("read", "checkin", "organiser"):
        assert f"<code>{scope}</code>" in page
    assert "If-Match" in page and "Idempotency-Key" in page


def test_the_account_page_leads_to_the_docs(client, ctx):
    from tests.conftest import create_user, login

    login(client, create_user("hanako@example.jp").email)
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/api/v1/docs"' in page
