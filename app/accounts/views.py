"""Account pages: sign-up, login/logout, profile, password, tokens, deletion, language.

Each POST is one unit of work: the services flush, the page commits once (a refused login
commits its audit record), and only then logs the person in or out."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import HTTPException

from app.accounts import services
from app.accounts.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LocaleForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
    TokenForm,
)
from app.accounts.ratelimits import (
    login_limits,
    mark_login_failed,
    password_reset_limit,
    signup_limit,
)
from app.accounts.scopes import SCOPE_LABELS
from app.audit.services import record
from app.core.access import login_required, public
from app.core.errors import InvalidCredentials, InvalidToken, KakawariError
from app.core.forms import ActionForm, apply_errors
from app.core.types import utcnow
from app.core.urls import safe_next
from app.extensions import db

bp = Blueprint("accounts", __name__)


@bp.route("/signup", methods=["GET", "POST"])
@signup_limit
@public
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                {**form.data, "consent": bool(form.consent.data)},
                locale=str(get_locale() or "ja"),
            )
        except KakawariError as exc:
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome to Kakawari, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    return render_template("accounts/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
@public
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except InvalidCredentials as exc:
            db.session.commit()  # the failed try is audited
            mark_login_failed()
            form.form_errors.append(str(exc.message))
        else:
            if session.get("locale") in ("ja", "en"):  # chosen just now, before logging in
                services.set_locale(user, session.pop("locale"))
            record("auth.login", actor=user)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    return render_template(
        "accounts/login.html",
        form=form,
        next=safe_next(request.args.get("next"), None),
        to_register=_leads_to_registering(request.args.get("next")),
    )


def _leads_to_registering(target: str | None) -> bool:
    """Whether `next` is a series' registration form: the login page then says why it asks."""
    path = safe_next(target, None)
    if path is None:
        return False
    try:
        endpoint, _args = current_app.url_map.bind("").match(urlsplit(path).path)
    except HTTPException:
        return False
    return endpoint == "registration.register"


@bp.route("/logout", methods=["POST"])
@public
def logout():
    ActionForm().validate_on_submit()  # CSRF is checked globally; nothing else to read
    if current_user.is_authenticated:
        services.log_out_everywhere(current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.data)
        except KakawariError as exc:
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Your profile was saved."), "success")
            return redirect(url_for("accounts.profile"))
    elif request.method == "GET":
        form.relations.data = current_user.relations
    return render_template(
        "accounts/profile.html",
        form=form,
        token_form=TokenForm(),
        tokens=services.list_api_tokens(current_user),
        scope_labels=SCOPE_LABELS,
        now=utcnow(),
        action_form=ActionForm(),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                form.current_password.data,
                form.password.data,
                form.password_confirm.data or "",
            )
        except KakawariError as exc:
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            # stay logged in here (the new session version); other sessions are logged out
            login_user(current_user._get_current_object())
            flash(_("Your password was changed."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return redirect(url_for("accounts.profile"))
    try:
        token, secret = services.create_api_token(
            current_user,
            form.name.data,
            scope=form.scope.data,
            expires_in_days=int(form.expires_in_days.data),
        )
    except KakawariError:
        flash(_("Choose what the token may do and how long it is valid."), "error")
        return redirect(url_for("accounts.profile") + "#tokens")
    page = render_template(
        "accounts/token_created.html",
        token=token,
        secret=secret,
        scope_label=SCOPE_LABELS[token.scope],
    )
    db.session.commit()
    return page


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    ActionForm().validate_on_submit()
    if services.revoke_api_token(current_user, token_id):
        db.session.commit()
        flash(_("The token was revoked."), "success")
    else:
        flash(_("That token does not exist or was already revoked."), "error")
    return redirect(url_for("accounts.profile"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.password.data)
        except KakawariError as exc:
            db.session.rollback()
            if exc.fields:
                apply_errors(form, exc.fields)
            else:
                form.form_errors.append(str(exc.message))
        else:
            db.session.commit()  # the deletion and all it frees: one unit of work
            logout_user()
            flash(_("Your account was deleted. Thank you for taking part."), "info")
            return redirect(url_for("main.index"))
    return render_template("accounts/delete.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@password_reset_limit
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()  # the mail and its audit record
        flash(
            _("If an account uses that address, we have sent it a link to reset the password."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except InvalidToken as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(
                token, form.password.data, form.password_confirm.data or ""
            )
        except KakawariError as exc:
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your new password is set."), "success")
            return redirect(url_for("main.index"))
    return render_template("accounts/reset.html", form=form)


@bp.route("/locale", methods=["POST"])
@public
def set_locale():
    form = LocaleForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.set_locale(current_user, form.locale.data)
            db.session.commit()
        else:
            session["locale"] = form.locale.data
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))
