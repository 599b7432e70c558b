"""The surveys' errors, with stable codes for the API."""

from flask_babel import lazy_gettext as _l

from app.core.errors import Conflict, InvalidToken, PermissionDenied


class SurveyClosed(Conflict):
    code = "survey_closed"
    message = _l("This survey is closed: answers are no longer taken. Thank you for your interest.")


class SurveyNotOpen(Conflict):
    code = "survey_not_open"
    message = _l("This survey has not been sent yet.")


class AlreadyAnswered(Conflict):
    code = "survey_already_answered"
    message = _l(
        "You have already answered this anonymous survey. Anonymous answers cannot be changed "
        "(nothing links them to you)."
    )


class SurveyLocked(Conflict):
    code = "survey_locked"
    message = _l("The survey has been sent: who receives it and whether it is anonymous are fixed.")


class NotRecipient(PermissionDenied):
    code = "survey_not_recipient"
    message = _l("This survey was not sent to you.")


class SurveyLinkInvalid(InvalidToken):
    code = "survey_link_invalid"
    message = _l(
        "This survey link is invalid or has expired. Open the survey from My page after "
        "logging in, or ask the organiser."
    )
