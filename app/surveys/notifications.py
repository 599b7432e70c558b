"""The survey's mails: the personal link, and the one reminder. Queued in the outbox with the
unit of work (sent after its commit), in the person's language."""

from flask_babel import force_locale
from flask_babel import gettext as _

from app.core.urls import external_url
from app.mail import send_mail
from app.registration.participant_list import mail_address
from app.surveys.links import LINK_DAYS, link_token


def survey_mail(survey, user, *, reminder: bool = False) -> bool:
    to = mail_address(user)
    if not to:
        return False
    link = external_url("surveys_respond.respond", token=link_token(survey.id, user.id))
    with force_locale(user.locale):
        if reminder:
            subject = _("Reminder: survey — %(title)s", title=survey.title)
        else:
            subject = _("Survey: %(title)s", title=survey.title)
        body = _(
            "%(name)s,\n\nThank you for taking part in %(series)s.\n"
            "%(org)s asks for a few minutes of your time for a short survey:\n\n%(link)s\n\n"
            "The link is personal (no need to log in) and valid for %(days)d days, or until the "
            "survey closes. %(anonymous)s\n\n— Kakawari",
            name=user.name,
            series=survey.series.title,
            org=survey.series.org.name,
            link=link,
            days=LINK_DAYS,
            anonymous=(
                _("The survey is anonymous: your answers are not linked to you.")
                if survey.anonymous
                else _("The organiser sees your name with your answers.")
            ),
        )
    return send_mail(to, subject, body)
