"""The deploy script against the emulator: it reads the exports the environment's addon templates
really declare (provisioned from addons/environment, not made up here), uploads the built app
with the right headers, writes config.json and invalidates the distribution Copilot renders for
the environment."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys

import boto3
import pytest

from devstack.emulator import EndpointSession
from devstack.provision import LocalProvisioner
from tests.e2e.conftest import DIST, ROOT
from tests.infra.rendered import analysis, render

SCRIPT = ROOT / "frontend" / "scripts" / "deploy.py"
REGION = "eu-west-1"
# The environment whose manifest the model renders; its resources are made in the emulator's
# eu-west-1, which no other test uses.
ENV = "dev"


def cloudfront_config(origins: list[dict], default_origin: str, viewer_policy: str) -> dict:
    """A DistributionConfig for the CloudFront API from the origins of a CloudFormation one."""
    items = []
    for origin in origins:
        item = {"Id": origin["Id"], "DomainName": origin["DomainName"]}
        if "S3OriginConfig" in origin:
            item["S3OriginConfig"] = {"OriginAccessIdentity": ""}
        else:
            item["CustomOriginConfig"] = {
                "HTTPPort": 80,
                "HTTPSPort": 443,
                "OriginProtocolPolicy": origin["CustomOriginConfig"]["OriginProtocolPolicy"],
            }
        items.append(item)
    return {
        "CallerReference": secrets.token_hex(8),
        "Comment": "",
        "Enabled": True,
        "DefaultCacheBehavior": {
            "TargetOriginId": default_origin,
            "ViewerProtocolPolicy": viewer_policy,
        },
        "Origins": {"Quantity": len(items), "Items": items},
    }


def copilots_distribution(account: str) -> dict:
    """The distribution Copilot renders for the environment (tests/infra/rendered), patched:
    its origins and default behaviour, for the emulator, which cannot run Copilot."""
    deployment = render(ENV, variables={"AWS_ACCOUNT_ID": account, "AWS_REGION": REGION})
    stack = deployment.stack("environment")
    resolved = analysis.resolver(stack, deployment).resolve(
        stack.template["Resources"]["CloudFrontDistribution"]["Properties"]["DistributionConfig"]
    )
    for origin in resolved["Origins"]:
        if origin["DomainName"].startswith("<"):  # the ALB's DNS name, made by AWS
            origin["DomainName"] = f"alb-{ENV}.{REGION}.elb.amazonaws.com"
    default = resolved["DefaultCacheBehavior"]
    return cloudfront_config(
        resolved["Origins"], default["TargetOriginId"], default["ViewerProtocolPolicy"]
    )


@pytest.fixture(scope="module")
def environment(app_stack):
    """An environment as its addon templates leave it (provisioned in the emulator from
    addons/environment, exports included), and the distribution Copilot would put in front of
    it, beside one that serves another bucket."""
    endpoint = app_stack.stack.options.endpoint
    session = EndpointSession(endpoint, REGION)
    provisioned = LocalProvisioner(
        session, app="teamtasks", env=ENV, progress=lambda message: None
    ).run()
    cloudfront = session.client("cloudfront")
    account = session.client("sts").get_caller_identity()["Account"]
    config = copilots_distribution(account)
    # The bucket the environment manifest names as the CDN's static assets location.
    (bucket,) = [
        o["DomainName"].split(".s3.")[0]
        for o in config["Origins"]["Items"]
        if "S3OriginConfig" in o
    ]
    decoy = cloudfront_config(
        [
            {
                "Id": "other",
                "DomainName": f"other-{bucket}.s3.{REGION}.amazonaws.com",
                "S3OriginConfig": {},
            }
        ],
        "other",
        "redirect-to-https",
    )
    cloudfront.create_distribution(DistributionConfig=decoy)
    ours = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    run_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
    }
    return {
        "env": ENV,
        "bucket": bucket,
        "distribution": ours,
        "exports": provisioned.exports,
        "s3": session.client("s3"),
        "cloudfront": cloudfront,
        "run_env": run_env,
    }


def invalidations(environment) -> list[dict]:
    listed = environment["cloudfront"].list_invalidations(
        DistributionId=environment["distribution"]
    )["InvalidationList"]
    return listed.get("Items") or []


def load_script():
    spec = importlib.util.spec_from_file_location("frontend_deploy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def deploy(environment, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--env", environment["env"], *extra],
        env=environment["run_env"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_deploy_builds_uploads_configures_and_invalidates(environment):
    before = {i["Id"] for i in invalidations(environment)}
    result = deploy(environment)
    assert result.returncode == 0, result.stdout + result.stderr
    s3, bucket = environment["s3"], environment["bucket"]

    built = sorted(p.relative_to(DIST).as_posix() for p in DIST.rglob("*") if p.is_file())
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted([*built, "config.json"])
    assert any(k.startswith("assets/") and k.endswith(".js") for k in keys)

    for key in keys:
        head = s3.head_object(Bucket=bucket, Key=key)
        if key.startswith("assets/"):
            assert head["CacheControl"] == "public, max-age=31536000, immutable", key
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            assert body == (DIST / key).read_bytes()
        else:
            assert head["CacheControl"] == "no-cache", key
    assert s3.head_object(Bucket=bucket, Key="index.html")["ContentType"].startswith("text/html")
    script = next(k for k in keys if k.endswith(".js"))
    assert s3.head_object(Bucket=bucket, Key=script)["ContentType"].startswith("text/javascript")

    config = json.loads(s3.get_object(Bucket=bucket, Key="config.json")["Body"].read())
    assert config == {
        "apiBaseUrl": "/api/v1",
        "region": REGION,
        "userPoolId": environment["exports"][f"teamtasks-{ENV}-UserPoolId"],
        "userPoolClientId": environment["exports"][f"teamtasks-{ENV}-UserPoolClientId"],
        "cognitoEndpoint": None,
    }
    assert config["userPoolId"].startswith(f"{REGION}_")

    (made,) = [i["Id"] for i in invalidations(environment) if i["Id"] not in before]
    detail = environment["cloudfront"].get_invalidation(
        DistributionId=environment["distribution"], Id=made
    )["Invalidation"]["InvalidationBatch"]["Paths"]
    assert sorted(detail["Items"]) == ["/", "/config.json", "/index.html"]
    assert "invalidation" in result.stdout


def test_deploy_to_a_named_distribution_without_building(environment):
    result = deploy(environment, "--skip-build", "--distribution-id", environment["distribution"])
    assert result.returncode == 0, result.stderr
    assert "npm" not in result.stdout + result.stderr


def test_an_environment_without_its_exports_is_refused(environment):
    result = deploy({**environment, "env": "nosuchenv"}, "--skip-build")
    assert result.returncode == 1
    assert "does not export teamtasks-nosuchenv-UserPoolId" in result.stderr


def test_assets_go_up_first_and_index_html_last(environment):
    """A visitor must never get an index.html that names assets not uploaded yet."""
    script = load_script()
    region = environment["run_env"]["AWS_REGION"]
    session = boto3.session.Session(
        region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    endpoint = environment["run_env"]["AWS_ENDPOINT_URL"]
    uploaded: list[str] = []

    class Recording:
        region_name = region

        def client(self, service):
            client = session.client(service, endpoint_url=endpoint)
            if service == "s3":
                client.meta.events.register(
                    "before-parameter-build.s3.PutObject",
                    lambda params, **_: uploaded.append(params["Key"]),
                )
            return client

    result = script.deploy(
        Recording(), "teamtasks", environment["env"], dist=DIST, log=lambda _: None
    )
    assert result["distribution"] == environment["distribution"]
    assets = [key for key in uploaded if key.startswith("assets/")]
    assert uploaded[: len(assets)] == assets
    assert uploaded[-2:] == ["config.json", "index.html"]
    assert sorted(uploaded) == sorted(
        [*(p.relative_to(DIST).as_posix() for p in DIST.rglob("*") if p.is_file()), "config.json"]
    )
