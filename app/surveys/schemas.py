"""The surveys' API shapes (the API's endpoints are in app/api/surveys.py)."""

from marshmallow import Schema, fields

from app.surveys.models import AttendedAs, QuestionType, SurveyStatus


class SurveyQuestionOut(Schema):
    id = fields.Integer()
    position = fields.Integer()
    kind = fields.String(metadata={"enum": [k.value for k in QuestionType]})
    label = fields.String()
    options = fields.List(
        fields.String(), metadata={"description": "Single and multiple choice: by index"}
    )
    key = fields.String(
        allow_none=True,
        metadata={"description": "The shared 関係人口 set's key: comparable across series"},
    )
    required = fields.Boolean()


class SurveyOut(Schema):
    id = fields.Integer()
    series_id = fields.Integer()
    session_id = fields.Integer(allow_none=True, metadata={"description": "null: the series"})
    title = fields.String()
    anonymous = fields.Boolean()
    status = fields.String(metadata={"enum": [s.value for s in SurveyStatus]})
    open = fields.Boolean(metadata={"description": "Answers are taken now"})
    closes_at = fields.DateTime(allow_none=True)
    to_venue = fields.Boolean(metadata={"description": "Sent to who attended at the venue"})
    to_online = fields.Boolean(metadata={"description": "Sent to who attended online"})
    to_partial = fields.Boolean(metadata={"description": "Sent to who was partly online"})
    to_archive = fields.Boolean(
        metadata={"description": "Sent to who watched the archive for 5 minutes or more "
                  "without attending live (their group: archive)"}
    )  # fmt: skip
    open_days = fields.Integer(metadata={"description": "Open this many days after sending"})
    questions = fields.List(fields.Nested(SurveyQuestionOut))


class SurveySettingsIn(Schema):
    """What is left out keeps its value. Who it goes to and whether it is anonymous are fixed
    once the survey is sent (survey_locked); open_days may still change."""

    anonymous = fields.Boolean()
    to_venue = fields.Boolean()
    to_online = fields.Boolean()
    to_partial = fields.Boolean()
    to_archive = fields.Boolean(
        metadata={"description": "Also the people who watched the archive for 5 minutes or "
                  "more (those who attended live stay in their live group)"}
    )  # fmt: skip
    open_days = fields.Integer(metadata={"description": "1 to 90"})


class ResponderOut(Schema):
    id = fields.Integer()
    name = fields.String()


class SurveyResponseOut(Schema):
    id = fields.Integer()
    user = fields.Nested(ResponderOut, allow_none=True, metadata={"description": "null: anonymous"})
    attended_as = fields.String(
        allow_none=True,
        metadata={"enum": [a.value for a in AttendedAs], "description": "null: anonymous"},
    )
    returning = fields.Boolean(
        allow_none=True,
        metadata={"description": "Took part in an earlier session; null: anonymous"},
    )
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Question id -> a scale value (1-5), the indexes of the "
                  "chosen options, or the text"},
    )  # fmt: skip


class ResponsesOut(Schema):
    survey_id = fields.Integer()
    sent = fields.Integer()
    responded = fields.Integer()
    responses = fields.List(fields.Nested(SurveyResponseOut))


class MyResponseOut(Schema):
    survey_id = fields.Integer()
    responded = fields.Boolean()
    editable = fields.Boolean(
        metadata={"description": "Named surveys while open; anonymous answers never change"}
    )
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        allow_none=True,
        metadata={"description": "null for an anonymous survey (nothing links you to them)"},
    )


class MyResponseIn(Schema):
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        metadata={"description": "Question id -> 1..5 (scale), an option's index (single), "
                  "a list of indexes (multiple) or text", "example": {"12": 5, "13": [0, 2]}},
    )  # fmt: skip
