"""The CloudFront Function that serves the browser app's deep links (/workspaces/...), run with
Node on viewer-request events as CloudFront runs it: its code is taken from the rendered,
patched environment stack (what would be deployed), and where it is attached is checked there."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.infra.rendered import render

INDEX = "/index.html"
# (request uri, uri CloudFront then fetches)
CASES = [
    ("/", INDEX),
    ("/workspaces", INDEX),
    ("/workspaces/01JC0ZQ8Q5V2M0W3F4T6Y7B8N9", INDEX),
    ("/workspaces/01JC0ZQ8Q5V2M0W3F4T6Y7B8N9/tasks/01JC0ZR2", INDEX),
    ("/workspaces/01JC0ZQ8Q5V2M0W3F4T6Y7B8N9/", INDEX),
    ("/sign-in", INDEX),
    ("/index.html", "/index.html"),
    ("/config.json", "/config.json"),
    ("/favicon.svg", "/favicon.svg"),
    ("/assets/index-3f2a1b.js", "/assets/index-3f2a1b.js"),
    ("/api", "/api"),
    ("/api/v1/workspaces", "/api/v1/workspaces"),
    ("/api/openapi.json", "/api/openapi.json"),
]
RUNNER = """
const code = require("fs").readFileSync(0, "utf8");
const cases = JSON.parse(process.argv[1]);
const handler = new Function(code + "; return handler;")();
const out = cases.map((uri) => {
  const event = { version: "1.0", context: { eventType: "viewer-request" },
    viewer: { ip: "198.51.100.1" },
    request: { method: "GET", uri, querystring: {}, headers: {}, cookies: {} } };
  const result = handler(event);
  return result.uri;
});
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def environment():
    return render("prod").stack("environment").template["Resources"]


def run_function(code: str, uris: list[str]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run the CloudFront Function (make test-frontend has it)")
    result = subprocess.run(
        [node, "-e", RUNNER, json.dumps(uris)],
        input=code,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_app_routes_get_the_index_and_files_and_the_api_pass(environment):
    function = environment["SpaRoutesFunction"]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["AutoPublish"] is True
    uris = [uri for uri, _ in CASES]
    assert run_function(function["FunctionCode"], uris) == [expected for _, expected in CASES]


def test_it_runs_on_the_default_behaviour_only_and_nothing_rewrites_error_pages(environment):
    config = environment["CloudFrontDistribution"]["Properties"]["DistributionConfig"]
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association == {
        "EventType": "viewer-request",
        "FunctionARN": {"Fn::GetAtt": ["SpaRoutesFunction", "FunctionMetadata.FunctionARN"]},
    }
    for behaviour in config["CacheBehaviors"]:
        assert "FunctionAssociations" not in behaviour, behaviour["PathPattern"]
    # Error-page rewriting would turn the API's own 403 and 404 answers into the app's index.
    assert "CustomErrorResponses" not in config


def test_the_harness_sees_a_function_that_does_nothing():
    assert run_function("function handler(event) { return event.request; }", ["/workspaces/x"]) == [
        "/workspaces/x"
    ]
