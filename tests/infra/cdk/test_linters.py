"""cfn-lint and checkov over every template the CDK app synthesises, as the Copilot path's
templates go through them (tests/infra/test_linters.py). Zero findings is the bar, except the
ones that follow from how the app includes the addons, each ignored here with its reason;
checkov's skips are in the resources' Metadata, with theirs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.intrinsics import Resolver, Unresolvable
from tests.infra import support

# The session's synthesis (a minute of CPU) and the linters (two more) run inside the first
# test that needs them; on a machine shared with other work they take longer than pytest's
# default timeout.
pytestmark = pytest.mark.timeout(1800)
BIN = Path(sys.executable).parent
CHECKOV = support.ROOT / "tools" / "checkov" / ".venv" / "bin" / "checkov"

# cfn-lint rules the app's way of including the addons sets off, everywhere.
IGNORED = {
    # The app fills the environment's name into each addon (as CloudFormation would on the
    # Copilot path), so a condition on the name is constant in its template, and so is the
    # branch an Fn::If takes on it.
    "W8003": "a condition on the environment's name is constant once the name is filled in",
    "W1028": "the branch an Fn::If on such a condition does not take",
    # CfnInclude keeps an addon's !Sub once the parameter it named is filled in.
    "W1020": "an addon's !Sub with nothing left to substitute",
}
# ... and in the pipeline's template, which CDK Pipelines generates.
IGNORED_IN_PIPELINE = {
    "E3703": "CDK Pipelines joins its ARNs with Fn::Join",
    "W3005": "CDK Pipelines makes the pipeline depend on its role's policy explicitly",
}
# Findings on a resource the environment does not make (its condition is false there, once the
# name is filled in): W1031 on its name, and E3001's exception when cfn-lint tries to validate
# it with its condition true ("When setting condition 'Standby' to True"), which cannot hold.
UNMADE = {"W1031": "", "E3001": "When setting condition"}


def _resource_made(template: dict, logical_id: str) -> bool:
    condition = template["Resources"].get(logical_id, {}).get("Condition")
    if not condition:
        return True
    resolver = Resolver(template, parameters={}, pseudo={}, resources={}, exports={})
    try:
        return resolver.condition(condition)
    except Unresolvable:  # it reads a parameter: the finding stands
        return True


def _cfn_lint(paths: list[Path]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "cfn-lint"), "--format", "json", "--", *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _checkov(folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(CHECKOV),
            "--directory",
            str(folder),
            "--framework",
            "cloudformation",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def linted(synthesised) -> dict[str, str]:
    """Both linters over every template, side by side (each takes a minute or two)."""
    running = {
        "cfn-lint": _cfn_lint(list(synthesised.templates().values())),
        "checkov": _checkov(synthesised.outdir),
    }
    return {name: process.communicate()[0] for name, process in running.items()}


def _findings(output: str) -> list[str]:
    found = json.loads(output or "[]")
    kept = []
    for finding in found:
        rule = finding["Rule"]["Id"]
        path = Path(finding["Filename"])
        if rule in IGNORED or (
            path.name == "pipeline.template.json" and rule in IGNORED_IN_PIPELINE
        ):
            continue
        where = finding.get("Location", {}).get("Path") or []
        unmade = rule in UNMADE and UNMADE[rule] in finding["Message"]
        if unmade and len(where) > 1 and where[0] == "Resources":
            template = json.loads(path.read_text())
            if not _resource_made(template, where[1]):
                continue
        kept.append(f"{path.name}: {rule} {finding['Message']}")
    return kept


def test_cfn_lint_finds_nothing_in_the_synthesised_templates(linted):
    assert _findings(linted["cfn-lint"]) == []


def test_cfn_lint_would_report_a_broken_template(synthesised, tmp_path):
    template = synthesised.template("prod", "environment")
    template["Resources"]["TasksTable"]["Properties"]["BillingMode"] = "ON_DEMAND"
    broken = tmp_path / "broken.template.json"
    broken.write_text(json.dumps(template))
    output = _cfn_lint([broken]).communicate()[0]
    assert any("ON_DEMAND" in finding for finding in _findings(output))


def test_checkov_finds_nothing_in_the_synthesised_templates(linted):
    reports = json.loads(linted["checkov"])
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{Path(check['file_path']).name}: {check['check_id']} {check['resource']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    passed = sum(report["summary"]["passed"] for report in reports)
    assert passed > 500, "checkov read the templates"
