"""The Copilot manifests: only keys Copilot knows, environments that differ only in values, the
links Copilot reads the addons through, and the service settings the issue asks for."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from tests.infra import copilot_schema, support

SERVICE = support.load_yaml(support.SERVICE_MANIFEST)
ENVIRONMENTS = {
    env: support.load_yaml(support.COPILOT / "environments" / env / "manifest.yml")
    for env in support.ENVIRONMENTS
}
PIPELINE = support.load_yaml(support.PIPELINE / "manifest.yml")
INTERPOLATION = re.compile(r"(?<!\\)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
PREDEFINED = {"COPILOT_APPLICATION_NAME", "COPILOT_ENVIRONMENT_NAME"}


def test_the_workspace_names_the_application():
    assert support.load_yaml(support.COPILOT / ".workspace") == {"application": "teamtasks"}


@pytest.mark.parametrize(
    "link,target", [("api/addons", "addons/api"), ("environments/addons", "addons/environment")]
)
def test_addon_folders_are_relative_links_to_the_top_level_templates(link, target):
    path = support.COPILOT / link
    assert path.is_symlink()
    assert not os.path.isabs(os.readlink(path))
    assert path.resolve() == (support.ROOT / target).resolve()
    assert {p.name for p in path.iterdir()} == {p.name for p in (support.ROOT / target).iterdir()}


def test_no_links_inside_lambda_asset_folders():
    # Copilot zips asset folders with a walk that does not follow links.
    for path in (support.ROOT / "lambdas").rglob("*"):
        assert not path.is_symlink(), path


def test_lambda_code_paths_are_relative_to_the_repository_root():
    template = support.merged(support.ENVIRONMENT_ADDONS)
    assets = support.local_assets(template)
    assert assets == {
        "CursorRotationFunction": "lambdas/secret_rotation",
        "OriginRotationFunction": "lambdas/secret_rotation",
        "PurgeFunction": "lambdas/stream_purge",
        "ArchiveFunction": "lambdas/audit_archive",
        "TaskIndexFunction": "lambdas/task_index",
        "NotifierFunction": "lambdas/notifier",
    }
    for logical_id, path in assets.items():
        module, function = template["Resources"][logical_id]["Properties"]["Handler"].split(".")
        assert f"def {function}(" in (support.ROOT / path / f"{module}.py").read_text()


@pytest.mark.parametrize(
    "name,manifest,schema",
    [
        ("api", SERVICE, copilot_schema.LOAD_BALANCED_WEB_SERVICE),
        *[(env, m, copilot_schema.ENVIRONMENT) for env, m in ENVIRONMENTS.items()],
        ("pipeline", PIPELINE, copilot_schema.PIPELINE),
    ],
)
def test_every_key_is_one_copilot_knows(name, manifest, schema):
    assert copilot_schema.check(manifest, schema) == []


def test_the_schema_check_catches_a_misspelt_key():
    broken = {**PIPELINE, "stages": [{**PIPELINE["stages"][2], "require_approval": True}]}
    assert copilot_schema.check(broken, copilot_schema.PIPELINE) == [
        "<root>.stages[0].require_approval: not a key Copilot knows here"
    ]
    typo = {**SERVICE, "http": {**SERVICE["http"], "healthcheck": {"paht": "/healthz"}}}
    assert copilot_schema.check(typo, copilot_schema.LOAD_BALANCED_WEB_SERVICE)


def shape(value: Any) -> Any:
    """The keys and types of a manifest; a list's length is a value (prod imports a subnet per
    zone, three, dev two), its items' shapes are not."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return ("list", sorted({repr(shape(v)) for v in value}))
    return type(value).__name__


def test_environments_differ_only_in_values():
    shapes = {env: shape(m) for env, m in ENVIRONMENTS.items()}
    assert len({repr(s) for s in shapes.values()}) == 1, shapes
    for env, manifest in ENVIRONMENTS.items():
        assert manifest["name"] == env and manifest["type"] == "Environment"


def test_the_shape_check_sees_a_missing_key():
    broken = {**ENVIRONMENTS["dev"], "observability": {}}
    assert shape(broken) != shape(ENVIRONMENTS["prod"])


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_environments_import_their_network_stack(env):
    """network.vpc.id and a public and a private subnet per zone of the network stack, named
    by the variables ops/network.py prints (docs/deploy.md step 1)."""
    from ops import environments, network  # noqa: PLC0415

    vpc = ENVIRONMENTS[env]["network"]["vpc"]
    prefix = environments.variable_prefix(env)
    assert set(vpc) == {"id", "subnets"}, "flow logs are the network stack's (encrypted)"
    assert vpc["id"] == f"${{{prefix}_VPC_ID}}"
    for tier in ("public", "private"):
        assert vpc["subnets"][tier] == [
            {"id": f"${{{prefix}_{tier.upper()}_SUBNET_{n}}}"}
            for n in range(1, network.zones(env) + 1)
        ]


def test_environments_take_traffic_from_cloudfront_only_and_serve_the_bucket():
    for manifest in ENVIRONMENTS.values():
        assert manifest["http"]["public"]["ingress"] == {"cdn": True}
        assert manifest["observability"]["container_insights"] is True
        static = manifest["cdn"]["static_assets"]
        assert static["location"].startswith(
            "${COPILOT_APPLICATION_NAME}-${COPILOT_ENVIRONMENT_NAME}-frontend-${AWS_ACCOUNT_ID}-"
        )
        for certificate in [
            *manifest["http"]["public"]["certificates"],
            manifest["cdn"]["certificate"],
        ]:
            assert INTERPOLATION.fullmatch(certificate), certificate


def test_the_frontend_bucket_name_matches_the_manifests():
    bucket = support.merged(support.ENVIRONMENT_ADDONS)["Resources"]["FrontendBucket"]
    name = support.resolver(support.merged(support.ENVIRONMENT_ADDONS), "prod").resolve(
        bucket["Properties"]["BucketName"]
    )
    location = ENVIRONMENTS["prod"]["cdn"]["static_assets"]["location"]
    filled = INTERPOLATION.sub(
        lambda m: {
            "COPILOT_APPLICATION_NAME": "teamtasks",
            "COPILOT_ENVIRONMENT_NAME": "prod",
            "AWS_ACCOUNT_ID": "111122223333",
            "AWS_REGION": "eu-west-1",
        }[m.group(1)],
        location,
    )
    assert filled == f"{name}.s3.eu-west-1.amazonaws.com"


def test_every_interpolated_variable_is_predefined_or_documented():
    docs = (support.ROOT / "docs" / "deploy.md").read_text()
    for path in support.COPILOT.rglob("manifest.yml"):
        for name in set(INTERPOLATION.findall(path.read_text())) - PREDEFINED:
            assert f"{name}" in docs, f"{path}: ${{{name}}} is not in docs/deploy.md"


# -- the service --------------------------------------------------------------------------


def gunicorn_settings() -> dict[str, Any]:
    settings: dict[str, Any] = {}
    exec(
        compile((support.ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"),
        settings,
    )
    return settings


def seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)(s|m)", duration)
    assert match, duration
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def effective(env: str) -> dict[str, Any]:
    """The service manifest for one environment, merged as Copilot does (maps key by key,
    lists and scalars replaced)."""

    def merge(base: Any, override: Any) -> Any:
        if isinstance(base, dict) and isinstance(override, dict):
            return {
                k: merge(base.get(k), override[k]) if k in base else override[k] for k in override
            } | {k: v for k, v in base.items() if k not in override}
        return override

    base = {k: v for k, v in SERVICE.items() if k != "environments"}
    return merge(base, SERVICE["environments"].get(env, {}))


def test_the_service_listens_where_gunicorn_binds_and_checks_health():
    assert SERVICE["name"] == "api" and SERVICE["type"] == "Load Balanced Web Service"
    assert SERVICE["image"]["build"]["dockerfile"] == "Dockerfile"
    assert gunicorn_settings()["bind"].endswith(f":{SERVICE['image']['port']}")
    check = SERVICE["http"]["healthcheck"]
    assert check["path"] == "/healthz"
    for key in ("healthy_threshold", "unhealthy_threshold", "interval", "timeout", "success_codes"):
        assert key in check
    assert SERVICE["http"]["path"] == "api"


def test_deregistration_waits_for_gunicorns_graceful_shutdown():
    settings = gunicorn_settings()
    delay = seconds(SERVICE["http"]["deregistration_delay"])
    assert delay == settings["graceful_timeout"]
    assert delay < 30, "ECS kills after its 30 s stop timeout"


def test_gunicorn_opens_no_control_socket_and_writes_only_to_memory():
    settings = gunicorn_settings()
    assert settings["control_socket_disable"] is True
    assert settings.get("worker_tmp_dir") in ("/dev/shm", None)
    assert SERVICE["storage"]["readonly_fs"] is True


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_per_environment_settings(env):
    manifest = effective(env)
    count = manifest["count"]
    assert count["range"]["min"] <= count["range"]["max"]
    assert "cpu_percentage" in count and "requests" in count
    assert ("spot_from" in count["range"]) is (env == "dev")
    # ECS Exec does not work with a read-only root file system.
    assert not (manifest.get("exec") and manifest["storage"]["readonly_fs"])
    assert manifest["storage"]["readonly_fs"] is True
    assert manifest["network"]["vpc"]["placement"] == "private"
    assert manifest["observability"]["tracing"] == "awsxray"
    assert manifest["variables"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4318"
    assert manifest["http"]["alias"] == f"${{{env.upper().replace('-', '_')}_DOMAIN}}"
    assert manifest["http"]["path"] == "api"
    assert (manifest["cpu"], manifest["memory"]) in {
        (256, 512),
        (512, 1024),
        (1024, 2048),
        (2048, 4096),
    }


def test_rollback_alarms_are_the_environments_alarms():
    env = support.merged(support.ENVIRONMENT_ADDONS)
    names = {
        support.resolver(env, "prod").resolve(r["Properties"]["AlarmName"])
        for r in support.resources_of(env, "AWS::CloudWatch::Alarm").values()
    }
    for alarm in SERVICE["deployment"]["rollback_alarms"]:
        filled = alarm.replace("${COPILOT_APPLICATION_NAME}", "teamtasks").replace(
            "${COPILOT_ENVIRONMENT_NAME}", "prod"
        )
        assert filled in names
    assert len(SERVICE["deployment"]["rollback_alarms"]) == 2
