"""Local runs only: the built browser app at / and its runtime configuration at /config.json.

In AWS, CloudFront serves both from S3 and never forwards them here; the same config.json is
written beside the assets at deploy time (with cognitoEndpoint null).
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, Flask, jsonify, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.routing import PathConverter

from app.config import Settings

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class BrowserPathConverter(PathConverter):
    """Any path outside /api: the browser app's own routes. Under /api nothing may fall through
    to the app's catch-all, so an unknown API path is a 404 for every method, never a 405 that
    names the catch-all's GET."""

    regex = r"(?!api(?:/|$))[^/].*?"


def cognito_origin(settings: Settings) -> str | None:
    """The origin the browser talks to for sign-in, for the CSP's connect-src."""
    parsed = urlparse(settings.cognito_endpoint)
    return f"{parsed.scheme}://{parsed.netloc}"


def runtime_config(settings: Settings) -> dict:
    return {
        "apiBaseUrl": "/api/v1",
        "region": settings.region,
        "userPoolId": settings.user_pool_id,
        "userPoolClientId": settings.user_pool_client_ids[0],
        "cognitoEndpoint": settings.endpoint_for("cognito-idp"),
    }


def register(app: Flask, settings: Settings) -> None:
    blueprint = Blueprint("frontend", __name__)

    @blueprint.get("/config.json")
    def config_json():
        response = jsonify(runtime_config(settings))
        response.headers["Cache-Control"] = REVALIDATE
        return response

    if settings.frontend_dir is not None:
        root = settings.frontend_dir.resolve()
        app.url_map.converters["browser_path"] = BrowserPathConverter

        @blueprint.get("/")
        def index():
            response = send_from_directory(root, "index.html")
            response.headers["Cache-Control"] = REVALIDATE
            return response

        @blueprint.get("/<browser_path:path>")
        def asset(path: str):
            try:
                response = send_from_directory(root, path)
            except NotFound:
                # A client-side route: the app decides what it shows.
                response = send_from_directory(root, "index.html")
                response.headers["Cache-Control"] = REVALIDATE
                return response
            if path.startswith("assets/"):
                response.headers["Cache-Control"] = IMMUTABLE
            else:
                response.headers["Cache-Control"] = REVALIDATE
            return response

    app.register_blueprint(blueprint)
