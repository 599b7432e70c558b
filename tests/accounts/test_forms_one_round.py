"""Forms answer in one round: every field's message at once (the password too), what was typed
kept (never the password), invalid inputs marked, and a summary at the top linking each field.
The same macros and base form serve every form: sign-up, password change, registering."""

import re
from html import unescape

from app.events import services as events
from app.extensions import db
from app.orgs.models import Organization
from tests.conftest import login, post_form
from tests.registration.factories import make_series
from tests.registration.test_views import logged_in

EVERYTHING_WRONG = {
    "email": "not-an-address",
    "password": "short",
    "name": "",
    "furigana": "Yamada",
    "prefecture": "",
    "relations": ["nonsense"],
}


def text(response) -> str:
    return response.get_data(as_text=True)


def summary_links(page: str) -> dict[str, str]:
    """{target id: link text} of the error summary."""
    found = re.search(r"<div class=\"form-errors error-summary\"(.*?)</div>", page, re.S)
    assert found, "no error summary"
    assert 'tabindex="-1"' in found.group(0) and "data-error-summary" in found.group(0)
    return {
        target: unescape(re.sub(r"\s+", " ", label)).strip()
        for target, label in re.findall(r'<a href="#([^"]+)">(.*?)</a>', found.group(1), re.S)
    }


def input_tag(page: str, field_id: str) -> str:
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert tag, f"no input {field_id}"
    return tag.group(0)


def test_a_sign_up_with_every_field_wrong_shows_every_message_at_once(client):
    response = post_form(client, "/signup", EVERYTHING_WRONG, token_from="/signup")
    assert response.status_code == 200
    page = text(response)
    for field in ("email", "password", "name", "furigana", "prefecture", "relations", "consent"):
        assert f'id="{field}-error"' in page, field
    assert "10文字以上で入力してください。" in page  # the password's, in the first round
    links = summary_links(page)
    assert list(links) == [
        "email",
        "password",
        "name",
        "furigana",
        "prefecture",
        "relations-0",
        "consent",
    ]
    assert links["password"] == "パスワード：10文字以上で入力してください。"
    # every link leads to an input of the page
    for target in links:
        input_tag(page, target)


def test_a_failed_sign_up_keeps_what_was_typed_except_the_password(client):
    response = post_form(client, "/signup", EVERYTHING_WRONG, token_from="/signup")
    page = text(response)
    assert 'value="not-an-address"' in input_tag(page, "email")
    assert 'value="Yamada"' in input_tag(page, "furigana")
    assert 'value=""' in input_tag(page, "password")  # never sent back
    kept = post_form(
        client,
        "/signup",
        {**EVERYTHING_WRONG, "name": "山田 花子", "prefecture": "32", "relations": ["work"]},
        token_from="/signup",
    )
    page = text(kept)
    assert 'value="山田 花子"' in input_tag(page, "name")
    assert re.search(r'<option selected value="32">', page)
    assert "checked" in input_tag(page, "relations-2")  # work
    assert "checked" not in input_tag(page, "relations-0")
    assert 'id="name-error"' not in page and "name" not in summary_links(page)


def test_invalid_inputs_are_marked_and_tied_to_their_message(client):
    page = text(post_form(client, "/signup", EVERYTHING_WRONG, token_from="/signup"))
    for field in ("email", "password", "name", "furigana", "prefecture", "consent"):
        tag = input_tag(page, field)
        assert 'aria-invalid="true"' in tag, field
        assert f"{field}-error" in re.search(r'aria-describedby="([^"]*)"', tag).group(1), field
    assert 'aria-invalid="true"' in input_tag(page, "relations-0")
    assert re.search(r'<fieldset aria-describedby="[^"]*relations-error', page)
    fresh = text(client.get("/signup"))
    assert 'aria-invalid="true"' not in fresh and "data-error-summary" not in fresh


def test_a_taken_address_is_told_with_the_other_fields(app, client):
    with app.app_context():
        from tests.conftest import create_user

        create_user("taken@example.jp")
    data = {**EVERYTHING_WRONG, "email": "taken@example.jp"}
    page = text(post_form(client, "/signup", data, token_from="/signup"))
    links = summary_links(page)
    assert "email" in links and "password" in links and "name" in links


def test_changing_a_password_says_everything_wrong_at_once(app):
    client, _uid = logged_in(app, "pw@example.jp")
    response = post_form(
        client,
        "/account/password",
        {"current_password": "wrong-one-123", "password": "short", "password_confirm": "other"},
        token_from="/account/password",
    )
    page = text(response)
    assert list(summary_links(page)) == ["current_password", "password", "password_confirm"]
    for field in ("current_password", "password", "password_confirm"):
        assert 'aria-invalid="true"' in input_tag(page, field)
        assert 'value=""' in input_tag(page, field)  # passwords are never sent back
    login(app.test_client(), "pw@example.jp")  # the old password still works: nothing changed


def test_the_register_form_marks_required_questions_in_their_legend_and_lets_a_mode_pick(
    app, world
):
    with app.app_context():
        series = make_series(
            world["org"], scope="session", sessions=[("hybrid", 5, 5), ("venue", 5, None)]
        )
        events.set_questions(
            series,
            [{"kind": "single", "label": "きっかけ", "options": ["SNS", "知人"], "required": True}],
        )
        db.session.commit()
        series_id, (first, second) = series.id, [s.id for s in series.sessions]
        assert db.session.get(Organization, world["org"])
    client, _uid = logged_in(app, "reg@example.jp")
    form = text(client.get(f"/series/{series_id}/register"))
    assert re.search(r"<legend>きっかけ <span class=\"needed\">[^<]+</span></legend>", form)
    # tapping a mode ticks its session (static/js/forms.js reads data-selects)
    assert re.search(rf'id="mode_{first}-0"[^>]*data-selects="sessions-0"|'
                     rf'data-selects="sessions-0"[^>]*id="mode_{first}-0"', form)  # fmt: skip
    page = text(post_form(client, f"/series/{series_id}/register", {}))
    links = summary_links(page)
    assert "sessions-0" in links and "consent" in links
    assert any(target.startswith("q_") and target.endswith("-0") for target in links)
    assert 'aria-invalid="true"' in input_tag(page, "sessions-0")
    assert 'aria-invalid="true"' in input_tag(page, "sessions-1")
    assert str(second)  # both sessions offered
