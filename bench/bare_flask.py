"""The baseline: a bare Flask app returning a small JSON object, on any path and method, so
the same wrk script (headers, body) runs against it and against the service.

    gunicorn --config gunicorn.conf.py bench.bare_flask:app
"""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def answer(path: str):
    return jsonify(status="ok")
