"""The deploy script against the emulator: it reads the environment's exports, uploads the
built app with the right headers, writes config.json and invalidates CloudFront."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys

import boto3
import pytest

from tests.e2e.conftest import DIST, ROOT

SCRIPT = ROOT / "frontend" / "scripts" / "deploy.py"
TEMPLATE = {
    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
    "Outputs": {
        "UserPoolId": {
            "Value": "eu-west-1_Pool123",
            "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-UserPoolId"}},
        },
        "UserPoolClientId": {
            "Value": "client123",
            "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-UserPoolClientId"}},
        },
        "FrontendBucketName": {
            "Value": {"Ref": "Bucket"},
            "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-FrontendBucketName"}},
        },
    },
}


@pytest.fixture
def environment(app_stack):
    """An environment as the addons leave it: exports, the bucket, a distribution on it."""
    region = "eu-west-1"
    endpoint = app_stack.stack.options.endpoint
    session = boto3.session.Session(
        region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    env = f"d{secrets.token_hex(3)}"
    cloudformation = session.client("cloudformation", endpoint_url=endpoint)
    # The stack is named <app>-<env> so that its exports carry the addons' names.
    cloudformation.create_stack(StackName=f"teamtasks-{env}", TemplateBody=json.dumps(TEMPLATE))
    exports = {e["Name"]: e["Value"] for e in cloudformation.list_exports()["Exports"]}
    bucket = exports[f"teamtasks-{env}-FrontendBucketName"]
    cloudfront = session.client("cloudfront", endpoint_url=endpoint)

    def distribution(domain: str) -> str:
        return cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": secrets.token_hex(8),
                "Comment": "",
                "Enabled": True,
                "DefaultCacheBehavior": {
                    "TargetOriginId": "app",
                    "ViewerProtocolPolicy": "redirect-to-https",
                },
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "app",
                            "DomainName": domain,
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
            }
        )["Distribution"]["Id"]

    distribution(f"other-{bucket}.s3.{region}.amazonaws.com")  # someone else's
    ours = distribution(f"{bucket}.s3.{region}.amazonaws.com")
    run_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": region,
    }
    return {
        "env": env,
        "bucket": bucket,
        "distribution": ours,
        "s3": session.client("s3", endpoint_url=endpoint),
        "cloudfront": cloudfront,
        "run_env": run_env,
    }


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
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_Pool123",
        "userPoolClientId": "client123",
        "cognitoEndpoint": None,
    }

    invalidations = environment["cloudfront"].list_invalidations(
        DistributionId=environment["distribution"]
    )["InvalidationList"]
    assert invalidations["Quantity"] == 1
    detail = environment["cloudfront"].get_invalidation(
        DistributionId=environment["distribution"], Id=invalidations["Items"][0]["Id"]
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
