"""copilot/environments/overrides/cfn.patches.yml on the CloudFront distribution: Copilot applies
these patches to the environment stack it renders; tests/infra/rendered renders it as Copilot's
templates do (cdn-resources.yml) and applies them. The result is asserted here, linted with the
whole stack (test_rendered_stacks.py) and scanned (test_linters.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import support
from tests.infra.rendered import render, yamlpatch
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
    assert config["Logging"]["Bucket"] == {"Fn::GetAtt": ["AccessLogsBucket", "DomainName"]}
    bucket = patched_environment()["Resources"]["AccessLogsBucket"]["Properties"]
    # CloudFront standard logs need ACLs enabled on the bucket.
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    assert all(bucket["PublicAccessBlockConfiguration"].values())


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
