"""The linters and the scanner, over what Copilot deploys: each addons folder merged into one
template and packaged (a file alone refers to resources of its siblings), the resources the
environment patches add or change in Copilot's rendered stack (cfn-lint sees them in the whole
stack, test_rendered_stacks.py), the Dockerfile. Zero findings is the bar; every checkov skip
carries its reason inline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra import support
from tests.infra.test_cdn_patches import patched_cdn_resources

BIN = Path(sys.executable).parent
CHECKOV = support.ROOT / "tools" / "checkov" / ".venv" / "bin" / "checkov"


@pytest.fixture(scope="module")
def deployed_templates(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("packaged")
    paths = {
        name: support.write_json(support.packaged(path), folder / f"{name}-addons.json")
        for name, path in support.ADDON_FOLDERS.items()
    }
    # The CloudFront-scope web ACL's stack, deployed by hand in us-east-1.
    edge = support.load_yaml_cfn(support.ROOT / "addons" / "edge" / "cloudfront-waf.yml")
    paths["edge"] = support.write_json(edge, folder / "edge-cloudfront-waf.json")
    # The network stack (its loops unrolled, as the scanner does not know Fn::ForEach) and the
    # region's pull-through cache, deployed before the environment.
    paths["network"] = support.write_json(
        support.templates.network_template(), folder / "network-vpc.json"
    )
    registry = support.load_yaml_cfn(support.templates.REGISTRY_TEMPLATE)
    paths["registry"] = support.write_json(registry, folder / "network-registry.json")
    # The daily sweep of expired feature environments, deployed once by hand.
    reaper = support.load_yaml_cfn(support.ROOT / "addons" / "feature-envs" / "reaper.yml")
    paths["reaper"] = support.write_json(reaper, folder / "feature-envs-reaper.json")
    return paths


def cfn_lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "cfn-lint"), "--format", "parseable", "--", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cfn_lint_finds_nothing_in_the_deployed_templates(deployed_templates):
    result = cfn_lint(*deployed_templates.values())
    assert result.stdout == "" and result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_reads_the_merged_template_and_would_report(tmp_path):
    # The harness is not vacuous: the same merged template with one broken property fails.
    template = support.packaged(support.ENVIRONMENT_ADDONS)
    template["Resources"]["TasksTable"]["Properties"]["BillingMode"] = "ON_DEMAND"
    result = cfn_lint(support.write_json(template, tmp_path / "broken.json"))
    assert result.returncode != 0 and "ON_DEMAND" in result.stdout


def test_cfn_lint_passes_each_file_that_stands_alone():
    # The service addon's files refer to nothing outside themselves, so each is linted as is;
    # the network stack as written, loops and all (cfn-lint knows the transform).
    for path in [
        *support.templates.template_files(support.SERVICE_ADDONS),
        support.templates.NETWORK_TEMPLATE,
    ]:
        result = cfn_lint(path)
        assert result.stdout == "" and result.returncode == 0, result.stdout


@pytest.fixture(scope="module")
def checkov_report(deployed_templates, tmp_path_factory) -> dict:
    assert CHECKOV.exists(), "the checkov tool environment is missing: run make test-infra"
    folder = tmp_path_factory.mktemp("scan")
    for path in deployed_templates.values():
        (folder / path.name).write_text(path.read_text())
    # The resources the environment patches add or change, as the rendered stack has them.
    support.write_json(patched_cdn_resources(), folder / "env-cdn.json")
    (folder / "Dockerfile").write_text((support.ROOT / "Dockerfile").read_text())
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(folder),
            "--framework",
            "cloudformation",
            "dockerfile",
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": ""},
        timeout=600,
    )
    assert result.stdout.strip(), result.stderr
    reports = json.loads(result.stdout)
    return {report["check_type"]: report for report in reports}


@pytest.mark.parametrize("framework", ["cloudformation", "dockerfile"])
def test_checkov_fails_no_check(checkov_report, framework):
    report = checkov_report[framework]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    # And it really looked: a few dozen checks passed.
    assert report["summary"]["passed"] >= 30


def test_every_checkov_skip_gives_its_reason(checkov_report):
    skipped = checkov_report["cloudformation"]["results"]["skipped_checks"]
    assert len(skipped) >= 7, "the documented skips: rotation function, bucket, distribution"
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason.split()) >= 8, f"{check['check_id']} on {check['resource']}: {reason!r}"


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "hadolint"), "--no-color", "--format", "json", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_hadolint_reports_nothing_at_warning_or_above():
    findings = json.loads(hadolint(support.ROOT / "Dockerfile").stdout or "[]")
    serious = [f for f in findings if f["level"] in ("warning", "error")]
    assert serious == []
    assert findings == [], "info and style findings too, to keep the file clean"


def test_hadolint_would_report(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python:latest\nRUN cd /srv && pip install flask\n")
    levels = {f["level"] for f in json.loads(hadolint(broken).stdout)}
    assert "warning" in levels
