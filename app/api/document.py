"""What the OpenAPI document says beyond what flask-smorest writes: how tokens and their scopes
work, and the headers of conditional updates (ETag / If-Match) and of repeated creations
(Idempotency-Key). Each operation's operationId and x-token-scope are added by app.api's
Blueprint."""

from app.api import etags, idempotency
from app.api.scopes import SAFE_METHODS

BEARER_DESCRIPTION = (
    "An API token: make one on your account page (アカウント → APIトークン) or with "
    "`POST /api/v1/auth/token`, and send it as `Authorization: Bearer <token>`. "
    "A token has a scope and an expiry (90 days unless chosen, at most 365). Scopes: "
    "`read`: every GET your role allows; "
    "`checkin`: the check-in operations (scan, offline sync, manual check-in, undo) and the "
    "reads a scanner needs; "
    "`organiser`: everything your role allows. Each operation's `x-token-scope` names the "
    "scope it needs; a token without it gets 403 `token_scope`, an expired one 401 "
    "`token_expired`. The browser's session (cookie + CSRF header) is not limited by scopes."
)


_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def headers_doc(doc, doc_info, *, method, **_kwargs):
    """A smorest doc callback: the headers of app.api.etags (`@versioned`) and
    app.api.idempotency (`@idempotent`)."""
    responses = doc.setdefault("responses", {})
    success = doc_info.get("success_status_codes", [])
    if doc_info.get(etags.KEY):
        for code in success:
            for key in (code, str(code)):  # smorest keys them by number until the end
                if key in responses:
                    responses[key].setdefault("headers", {})["ETag"] = {
                        "description": "The version of what was read or written: send it "
                        "back as If-Match with an update",
                        "schema": {"type": "string"},
                    }
        if method.upper() not in SAFE_METHODS:
            doc.setdefault("parameters", []).append(
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": False,
                    "description": "The ETag you read: the update is made only if nobody "
                    "changed it since (else 412 precondition_failed, with the current ETag). "
                    "Without it the update is made whatever changed meanwhile.",
                    "schema": {"type": "string"},
                }
            )
            responses["412"] = {
                "description": "precondition_failed: changed since the ETag in If-Match; the "
                "answer's ETag (and error.etag) is the current one",
                "content": _ERROR_REF,
            }
    if doc_info.get(idempotency.KEY):
        doc.setdefault("parameters", []).append(
            {
                "name": idempotency.HEADER,
                "in": "header",
                "required": False,
                "description": "A unique string of yours (e.g. a UUID), at most 255 "
                "characters: a retry with the same key and body gets the first answer again "
                "(header `Idempotent-Replayed: true`) and creates nothing twice. Keys are kept "
                "24 hours, per person; a refused request stores nothing.",
                "schema": {"type": "string", "maxLength": idempotency.MAX_LENGTH},
            }
        )
        for code, text in (
            ("409", "idempotency_in_progress: a request with this Idempotency-Key is running"),
            ("422", "idempotency_key_reused: the Idempotency-Key was used for another request"),
        ):
            described = responses.get(int(code)) or responses.get(code)
            if described is None:
                responses[code] = {"description": text, "content": _ERROR_REF}
            elif isinstance(described, dict):  # (else a shared response, by reference)
                described["description"] = f"{described.get('description', '')}; {text}"
    return doc
