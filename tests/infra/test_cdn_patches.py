"""copilot/environments/overrides/cfn.patches.yml on the CloudFront distribution: Copilot applies
these patches to the environment stack it renders; tests/infra/rendered renders it as Copilot's
templates do (cdn-resources.yml) and applies them. The result is asserted here, linted with the
whole stack (test_rendered_stacks.py) and scanned (test_linters.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import support
from tests.infra.rendered import analysis, render, yamlpatch
from tests.infra.rendered.model import ENVIRONMENT_PATCHES

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; connect-src 'self' https://cognito-idp.${AWS::Region}.amazonaws.com"
)
ALB_ORIGIN = {"Fn::Sub": "copilot-${AppName}-${EnvironmentName}-origin"}
S3_ORIGIN = {"Fn::Sub": "copilot-${AppName}-${EnvironmentName}-s3"}


def patched_environment() -> dict[str, Any]:
    return render("prod").stack("environment").template


def patched_cdn_resources() -> dict[str, Any]:
    """The distribution and every resource the patches add to the environment stack, as a
    template of their own for the scanner (tests/infra/test_linters.py)."""
    template = patched_environment()
    added = {
        patch["path"].split("/")[2]
        for patch in yamlpatch.load(ENVIRONMENT_PATCHES)
        if patch["op"] == "add" and patch["path"].count("/") == 2
    }
    keep = {"CloudFrontDistribution", *added}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {k: v for k, v in template["Resources"].items() if k in keep},
    }


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    template = patched_environment()
    return template["Resources"]["CloudFrontDistribution"]["Properties"]["DistributionConfig"]


def test_the_bucket_is_the_default_and_only_api_goes_to_the_load_balancer(config):
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == S3_ORIGIN
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
    assert "OriginRequestPolicyId" not in config["DefaultCacheBehavior"]
    by_path = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(by_path) == {"assets/*", "/api/*"}
    assert by_path["assets/*"]["TargetOriginId"] == S3_ORIGIN
    api = by_path["/api/*"]
    assert api["TargetOriginId"] == ALB_ORIGIN
    assert api["CachePolicyId"] == CACHING_DISABLED and api["OriginRequestPolicyId"] == ALL_VIEWER
    assert config["DefaultRootObject"] == "index.html"


def test_the_bucket_is_read_only_through_cloudfront(config):
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        if behaviour["TargetOriginId"] == S3_ORIGIN:
            assert behaviour["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"]


def test_viewers_use_https_and_tls_1_2(config):
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["ViewerProtocolPolicy"] in ("redirect-to-https", "https-only")
        assert behaviour["Compress"] is True
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"


def test_every_behaviour_carries_the_security_headers(config):
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "FrontendResponseHeadersPolicy"}


def test_the_security_headers_policy():
    policy = patched_environment()["Resources"]["FrontendResponseHeadersPolicy"]
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["ContentSecurityPolicy"]["ContentSecurityPolicy"] == {"Fn::Sub": EXPECTED_CSP}
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000 and hsts["IncludeSubdomains"] is True
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert headers["FrameOptions"]["FrameOption"] == "DENY"


def test_the_distribution_has_the_cloudfront_web_acl_and_logs(config):
    # The ACL lives in us-east-1 (addons/edge/cloudfront-waf.yml); its ARN is a setting in SSM.
    assert config["WebACLId"] == {
        "Fn::Sub": "{{resolve:ssm:/${AppName}/${EnvironmentName}/cloudfront-web-acl-arn}}"
    }
    assert config["Logging"]["Bucket"] == {
        "Fn::If": [
            "KeepsItsData",
            {"Fn::GetAtt": ["AccessLogsBucket", "DomainName"]},
            {"Fn::GetAtt": ["DisposableAccessLogsBucket", "DomainName"]},
        ]
    }
    resources = patched_environment()["Resources"]
    bucket = resources["AccessLogsBucket"]["Properties"]
    # CloudFront standard logs need ACLs enabled on the bucket.
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    # One definition for the kept bucket and the disposable one.
    assert resources["DisposableAccessLogsBucket"]["Properties"] == bucket


@pytest.mark.parametrize(
    "env,logical_id,policy",
    [
        ("dev", "DisposableAccessLogsBucket", "Delete"),
        ("feat-login", "DisposableAccessLogsBucket", "Delete"),
        ("staging", "AccessLogsBucket", "Retain"),
        ("prod", "AccessLogsBucket", "Retain"),
        ("prod-eu-central-1", "AccessLogsBucket", "Retain"),
    ],
)
def test_the_log_bucket_goes_with_a_disposable_environment_and_stays_elsewhere(
    env, logical_id, policy
):
    """Issue 19.11: a retained log bucket with a fixed name kept a feature environment's name
    from coming up again after `down`."""
    deployed = render(env)
    environment = deployed.stack("environment")
    resolve = analysis.resolver(environment, deployed)
    resources = environment.template["Resources"]
    existing = [
        k
        for k in ("AccessLogsBucket", "DisposableAccessLogsBucket")
        if resolve.condition(resources[k]["Condition"])
    ]
    assert existing == [logical_id]
    assert resources[logical_id]["DeletionPolicy"] == policy
    assert resources[logical_id]["UpdateReplacePolicy"] == policy


def test_no_scanner_finding_on_logging_or_waf_is_skipped():
    """The distribution has its web ACL and its logs, and the frontend bucket its access logs:
    nothing skips CKV_AWS_68, CKV_AWS_86 or CKV_AWS_18 there any more."""
    template = patched_environment()["Resources"]
    skipped = (template["CloudFrontDistribution"].get("Metadata") or {}).get("checkov") or {}
    assert not skipped
    frontend = support.merged(support.ENVIRONMENT_ADDONS)["Resources"]["FrontendBucket"]
    assert "checkov" not in (frontend.get("Metadata") or {})
    logging = frontend["Properties"]["LoggingConfiguration"]["Fn::If"]
    assert logging[1] == {
        "DestinationBucketName": {"Ref": "AccessLogsBucketName"},
        "LogFilePrefix": "frontend-bucket/",
    }
    for env in support.ENVIRONMENTS:
        manifest = support.load_yaml(support.COPILOT / "environments" / env / "manifest.yml")
        assert manifest["http"]["public"]["access_logs"] is True, env


# -- the edge's caching, Origin Shield and metrics (docs/architecture.md, "Edge") -------------

POLICY_IDS = {
    "Managed-CachingOptimized": CACHING_OPTIMIZED,
    "Managed-CachingDisabled": CACHING_DISABLED,
    "Managed-AllViewer": ALL_VIEWER,
}
ORIGINS = {"alb": ALB_ORIGIN, "bucket": S3_ORIGIN}


def documented_cache_policies() -> dict[str, dict[str, Any]]:
    """The table of docs/architecture.md, "Edge": path -> origin and policies."""
    text = (support.ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Edge", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].startswith(("`", "default")):
            continue
        path = "default" if cells[0].startswith("default") else cells[0].strip("`")
        rows[path] = {
            "origin": ORIGINS[cells[1]],
            "cache": POLICY_IDS[cells[2]],
            "origin_request": POLICY_IDS.get(cells[3]),
            "collapsing": cells[4].startswith("on"),
        }
    return rows


def test_each_paths_cache_policy_is_the_documented_one(config):
    documented = documented_cache_policies()
    behaviours = {"default": config["DefaultCacheBehavior"]} | {
        b["PathPattern"]: b for b in config["CacheBehaviors"]
    }
    assert set(documented) == set(behaviours)
    for path, row in documented.items():
        behaviour = behaviours[path]
        assert behaviour["TargetOriginId"] == row["origin"], path
        assert behaviour["CachePolicyId"] == row["cache"], path
        assert behaviour.get("OriginRequestPolicyId") == row["origin_request"], path
        # CloudFront collapses requests only where it caches.
        assert row["collapsing"] == (row["cache"] != CACHING_DISABLED), path


def test_every_bucket_path_is_cached_so_requests_collapse(config):
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        if behaviour["TargetOriginId"] == S3_ORIGIN:
            assert behaviour["CachePolicyId"] == CACHING_OPTIMIZED


def test_both_origins_are_behind_origin_shield_in_the_environments_region(config):
    region = {"Fn::Sub": "{{resolve:ssm:/${AppName}/${EnvironmentName}/origin-shield-region}}"}
    shields = {o["Id"]["Fn::Sub"]: o.get("OriginShield") for o in config["Origins"]}
    assert shields == {
        ALB_ORIGIN["Fn::Sub"]: {"Enabled": True, "OriginShieldRegion": region},
        S3_ORIGIN["Fn::Sub"]: {"Enabled": True, "OriginShieldRegion": region},
    }
    settings = (support.ROOT / "docs" / "deploy.md").read_text()
    assert "| `origin-shield-region` |" in settings
    assert "put origin-shield-region" in settings


def test_the_distribution_publishes_real_time_metrics():
    resources = patched_environment()["Resources"]
    (subscription,) = [
        r for r in resources.values() if r["Type"] == "AWS::CloudFront::MonitoringSubscription"
    ]
    assert subscription["Condition"] == resources["CloudFrontDistribution"]["Condition"]
    assert subscription["Properties"] == {
        "DistributionId": {"Ref": "CloudFrontDistribution"},
        "MonitoringSubscription": {
            "RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Enabled"}
        },
    }
