"""Unsubscribing from notification emails without signing in: the link in every notification
email, and RFC 8058's one-click POST that mail clients send (docs/api.md, "Unsubscribe").

This is the one endpoint without a bearer token, and the one that takes a form body, so it has
a blueprint of its own with the two shapes spelt out here: JSON `{"token"}` under every rule the
other endpoints keep (app/api/json_body.py, unknown fields 422), or exactly RFC 8058's form
`List-Unsubscribe=One-Click` with the token in the query. Nothing else is accepted as a form,
here or anywhere else. The request log writes the path without its query, so tokens stay out
of the service's logs.
"""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import json_body
from app.api.context import services
from app.api.http import API_PREFIX
from app.api.problems import ApiProblem
from app.api.schemas import UnsubscribedOut, UnsubscribeIn

blp = Blueprint(
    "unsubscribe",
    __name__,
    url_prefix=API_PREFIX,
    description="Turning notification emails off from an email's link, without signing in",
)

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_INVALID_TOKEN = "The unsubscribe link is not valid; sign in to change your email settings"  # noqa: S105 -- a message
_TOKEN_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 512}
_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"token": _TOKEN_SCHEMA},
                "required": ["token"],
                "additionalProperties": False,
            }
        },
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}},
                "required": ["List-Unsubscribe"],
                "additionalProperties": False,
            }
        },
    },
}
_TOKEN_IN_QUERY = {
    "in": "query",
    "name": "token",
    "required": False,
    "description": "The token, with the RFC 8058 form body only (mail clients' one-click POST)",
    "schema": _TOKEN_SCHEMA,
}


def _token() -> str:
    """The token, from whichever of the two shapes the request has; 415 or 422 otherwise."""
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        if request.args:
            raise _unprocessable({name: ["Unknown field."] for name in request.args})
        try:
            return UnsubscribeIn().load(json_body.parse(request.get_data()))["token"]
        except ma.ValidationError as invalid:
            raise _unprocessable(_flat(invalid.messages)) from None
    if mimetype in FORMS:
        unknown = sorted(set(request.args) - {"token"})
        errors = {name: ["Unknown field."] for name in unknown}
        if "token" not in request.args:
            errors["token"] = ["Missing data for required field."]
        if request.form.to_dict(flat=False) != {k: [v] for k, v in ONE_CLICK.items()}:
            errors["body"] = ["The form must be exactly List-Unsubscribe=One-Click (RFC 8058)."]
        if errors:
            raise _unprocessable(errors)
        return request.args["token"]
    raise ApiProblem(415, "The request body must be application/json, or RFC 8058's form")


def _unprocessable(errors: dict[str, list[str]]) -> ApiProblem:
    return ApiProblem(422, "The request has invalid fields", errors=errors)


def _flat(messages) -> dict[str, list[str]]:
    if isinstance(messages, dict):
        return {
            ("body" if name == "_schema" else str(name)): value
            if isinstance(value, list)
            else [str(value)]
            for name, value in messages.items()
        }
    return {"body": [str(messages)]}


@blp.route("/unsubscribe")
class Unsubscribe(MethodView):
    @blp.doc(
        security=[],
        parameters=[_TOKEN_IN_QUERY],
        requestBody=_REQUEST_BODY,
        responses={
            "400": {"$ref": "#/components/responses/BAD_REQUEST"},
            "413": {"$ref": "#/components/responses/REQUEST_ENTITY_TOO_LARGE"},
            "415": {"$ref": "#/components/responses/UNSUPPORTED_MEDIA_TYPE"},
            "422": {"$ref": "#/components/responses/UNPROCESSABLE_ENTITY"},
            "503": {"$ref": "#/components/responses/SERVICE_UNAVAILABLE"},
        },
    )
    @blp.response(200, UnsubscribedOut)
    def post(self):
        """Turn the token's user's notification emails off (no sign-in). JSON `{"token"}`, or
        RFC 8058's one-click form `List-Unsubscribe=One-Click` with `?token=`. 400 for a token
        that does not verify."""
        user_id = services().unsubscribe_tokens.user_of(_token())
        if user_id is None:
            raise ApiProblem(400, _INVALID_TOKEN)
        services().notifications.set_email_preference(user_id, "off")
        return {"email_notifications": "off"}
