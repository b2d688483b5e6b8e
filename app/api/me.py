"""The caller, as the access token names them."""

from __future__ import annotations

from flask.views import MethodView

from app.api.context import principal
from app.api.schemas import MeOut
from app.api.v1 import errors, v1_blueprint

blp = v1_blueprint("me", "The signed-in user")


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeOut)
    @errors(blp)
    def get(self):
        """Who the bearer token belongs to."""
        caller = principal()
        return {"id": caller.user_id, "username": caller.username}
