"""API: organisations."""

from flask_login import current_user
from marshmallow import Schema, fields

from app.api import Blueprint
from app.api.idempotency import idempotent
from app.core.access import login_required
from app.extensions import db
from app.orgs import services

blp = Blueprint("api_orgs", __name__, description="Organisations (主催団体)")


class OrgCreate(Schema):
    name = fields.String(required=True)


class OrgOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String(metadata={"description": "The caller's role: owner, organizer or staff"})


@blp.route("/orgs", methods=["POST"])
@idempotent
@blp.arguments(OrgCreate)
@blp.response(201, OrgOut)
@blp.doc(security=[{"bearerAuth": []}])
@login_required
def create_org(body):
    """Create an organisation; the caller becomes its owner."""
    org = services.create_org(current_user, body["name"])
    answer = {"id": org.id, "name": org.name, "role": "owner"}
    db.session.commit()
    return answer
