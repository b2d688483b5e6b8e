"""Liveness and readiness, for the load balancer and the orchestrator. No authentication."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.context import services
from app.api.schemas import HealthOut

blp = Blueprint("health", __name__, description="Health checks (no authentication)")


@blp.route("/healthz")
class Liveness(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthOut)
    def get(self):
        """Liveness: the process answers. Checks nothing outside it."""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthOut)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self):
        """Readiness: DynamoDB answers. 503 with Retry-After when it does not."""
        services().store.ping()
        return {"status": "ready"}
