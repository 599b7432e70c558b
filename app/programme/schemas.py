"""The shape of what a viewer (委託元) receives from the API: every figure is a whole number, or
the string "<5" for a group of fewer than 5 people (or "≥ n" for a sum with such groups in it).
Pages, the CSV and the API serialise the same read functions (figures.py)."""

from marshmallow import Schema, fields

from app.core.prefectures import prefecture_name

FIGURE_DOC = {
    "oneOf": [{"type": "integer"}, {"type": "string", "example": "<5"}],
    "description": 'A number of people, or "<5" when it counts fewer than 5 people',
}


class Figure(fields.Field):
    """A `suppression.Shown`: its number, or its text when hidden."""

    def __init__(self, **kwargs):
        metadata = {**FIGURE_DOC, **kwargs.pop("metadata", {})}
        super().__init__(dump_only=True, metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.json()


class ProgrammeQuery(Schema):
    year = fields.String(
        metadata={"description": "年度 (April to March), e.g. 2026; the current one by default"}
    )


class OrganizationOut(Schema):
    id = fields.Function(lambda o: o.org.id)
    name = fields.Function(lambda o: o.org.name)
    series = fields.List(fields.Nested(lambda: SeriesLineOut()))


class SeriesLineOut(Schema):
    series_id = fields.Integer()
    title = fields.String()
    sessions = fields.Integer(metadata={"description": "Sessions in the 年度"})
    participants = Figure()
    completions = Figure()
    archive_viewers = Figure()


class RowOut(Schema):
    key = fields.String()
    label = fields.Function(lambda row: str(row.label))
    per_organization = fields.List(
        Figure(), attribute="cells", metadata={"description": "In the order of organizations"}
    )
    sum = Figure(metadata={"description": 'Their sum ("≥ n" when some part is "<5")'})


class PrefectureRowOut(RowOut):
    label = fields.Function(lambda row: prefecture_name(row.key) or "")


class ProgrammeOut(Schema):
    fiscal_year = fields.Integer(attribute="year")
    organizations = fields.List(fields.Nested(OrganizationOut), attribute="orgs")
    kpis = fields.List(fields.Nested(RowOut))
    prefectures = fields.List(fields.Nested(PrefectureRowOut))
    survey = fields.List(
        fields.Nested(RowOut),
        metadata={"description": "Shared 関係人口 questions: percent who answered 4 or 5 of 5"},
    )


class SessionLineOut(Schema):
    title = fields.String()
    starts_at = fields.DateTime()
    held = fields.Boolean()
    registered = Figure()
    venue = Figure(metadata={"description": "Places at the venue"})
    online = Figure(metadata={"description": "Places online"})
    attended_venue = Figure()
    attended_online = Figure()
    partial = Figure()
    absent = Figure()
    archive_viewers = Figure()


class ViewerOptionOut(Schema):
    label = fields.String()
    people = Figure()
    percent = Figure(attribute="share")


class ViewerQuestionOut(Schema):
    label = fields.String()
    answered = Figure()
    mean = Figure(metadata={"description": "5-point scales only"})
    options = fields.List(fields.Nested(ViewerOptionOut))


class ViewerSurveyOut(Schema):
    title = fields.String()
    sent = Figure()
    responded = Figure()
    response_rate = Figure(attribute="rate")
    questions = fields.List(
        fields.Nested(ViewerQuestionOut), metadata={"description": "Never the free-text questions"}
    )


class CodeFigureOut(Schema):
    code = fields.Function(lambda pair: pair[0])
    people = fields.Function(lambda pair: pair[1].json())


class FunnelOut(Schema):
    at_least = fields.Function(lambda pair: pair[0])
    people = fields.Function(lambda pair: pair[1].json())


class SeriesFiguresOut(Schema):
    series_id = fields.Function(lambda f: f.series.id)
    title = fields.Function(lambda f: f.series.title)
    organization = fields.Function(lambda f: f.series.org.name)
    participants = Figure()
    new = Figure()
    returning = Figure()
    completions = Figure()
    completion_rule = fields.Integer(attribute="required", allow_none=True)
    funnel = fields.List(fields.Nested(FunnelOut))
    sessions = fields.List(fields.Nested(SessionLineOut))
    prefectures = fields.List(fields.Nested(CodeFigureOut))
    relations = fields.List(fields.Nested(CodeFigureOut))
    surveys = fields.List(fields.Nested(ViewerSurveyOut))
