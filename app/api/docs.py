"""Human-readable API docs at /api/docs, rendered on the server from the OpenAPI document.

No script and no CDN: the page works offline and under the strict CSP.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template
from flask_smorest import Api

_METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            if method not in item:
                continue
            operation = item[method]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": (operation.get("tags") or ["other"])[0],
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": operation.get("parameters", []),
                    "request": operation.get("requestBody"),
                    "responses": operation.get("responses", {}),
                    "secured": operation.get("security", spec.get("security")) != [],
                }
            )
    return operations


def register(app: Flask, api: Api) -> None:
    blueprint = Blueprint(
        "docs",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/api/docs-static",
    )

    @blueprint.get("/api/docs")
    def api_docs():
        spec = api.spec.to_dict()
        return render_template(
            "docs.html",
            info=spec["info"],
            operations=_operations(spec),
            schemas=spec.get("components", {}).get("schemas", {}),
        )

    app.register_blueprint(blueprint)
