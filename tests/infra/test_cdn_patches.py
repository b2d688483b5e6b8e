"""copilot/environments/overrides/cfn.patches.yml, checked statically: Copilot applies these
patches to the environment template it generates, which cannot be generated here. They are
applied to a model of the parts of Copilot's CloudFront distribution they touch (logical ids,
paths and defaults as in Copilot's cdn-resources template, v1.33), and the result is asserted
and linted (test_linters.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from devstack import templates
from tests.infra import support

PATCHES = support.COPILOT / "environments" / "overrides" / "cfn.patches.yml"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; connect-src 'self' https://cognito-idp.${AWS::Region}.amazonaws.com"
)
CDN_CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/abc"
ALB_ORIGIN = {"Fn::Sub": "copilot-${AppName}-${EnvironmentName}-origin"}
S3_ORIGIN = {"Fn::Sub": "copilot-${AppName}-${EnvironmentName}-s3"}


def copilot_distribution_model() -> dict[str, Any]:
    """What Copilot renders for an environment with `cdn.static_assets` and an imported CDN
    certificate (only the parts the patches depend on)."""
    all_methods = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "AppName": {"Type": "String"},
            "EnvironmentName": {"Type": "String"},
            "ALBWorkloads": {"Type": "String"},
            "PublicLoadBalancerDNSName": {"Type": "String"},
        },
        "Conditions": {"CreateALB": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ALBWorkloads"}, ""]}]}},
        "Resources": {
            "CloudFrontOriginAccessControl": {
                "Type": "AWS::CloudFront::OriginAccessControl",
                "Properties": {
                    "OriginAccessControlConfig": {
                        "Name": {"Fn::Sub": "copilot-${AppName}-${EnvironmentName}-oac"},
                        "OriginAccessControlOriginType": "s3",
                        "SigningBehavior": "always",
                        "SigningProtocol": "sigv4",
                    }
                },
            },
            "CloudFrontDistribution": {
                "Type": "AWS::CloudFront::Distribution",
                "Metadata": {"aws:copilot:description": "A CloudFront distribution"},
                "Condition": "CreateALB",
                "Properties": {
                    "DistributionConfig": {
                        "Aliases": ["app.example.com"],
                        "DefaultCacheBehavior": {
                            "AllowedMethods": all_methods,
                            "CachePolicyId": CACHING_DISABLED,
                            "TargetOriginId": copy.deepcopy(ALB_ORIGIN),
                            "OriginRequestPolicyId": ALL_VIEWER,
                            "ViewerProtocolPolicy": "allow-all",
                        },
                        "Enabled": True,
                        "IPV6Enabled": True,
                        "Origins": [
                            {
                                "Id": copy.deepcopy(ALB_ORIGIN),
                                "DomainName": {"Ref": "PublicLoadBalancerDNSName"},
                                "CustomOriginConfig": {"OriginProtocolPolicy": "match-viewer"},
                            },
                            {
                                "Id": copy.deepcopy(S3_ORIGIN),
                                "DomainName": "bucket.s3.eu-west-1.amazonaws.com",
                                "OriginAccessControlId": {"Ref": "CloudFrontOriginAccessControl"},
                                "S3OriginConfig": {"OriginAccessIdentity": ""},
                            },
                        ],
                        "CacheBehaviors": [
                            {
                                "AllowedMethods": all_methods,
                                "ViewerProtocolPolicy": "allow-all",
                                "CachePolicyId": CACHING_OPTIMIZED,
                                "TargetOriginId": copy.deepcopy(S3_ORIGIN),
                                "PathPattern": "assets/*",
                            }
                        ],
                        "ViewerCertificate": {
                            "AcmCertificateArn": CDN_CERTIFICATE,
                            "MinimumProtocolVersion": "TLSv1",
                            "SslSupportMethod": "sni-only",
                        },
                    }
                },
            },
        },
    }


def _pointer(path: str) -> list[str]:
    assert path.startswith("/"), path
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def apply_patches(template: dict[str, Any], patches: list[dict[str, Any]]) -> dict[str, Any]:
    """RFC 6902 add/replace/remove, as Copilot's yamlpatch does; a path that does not exist
    (for replace and remove, or an add's parent) is an error, as it is for Copilot."""
    result = copy.deepcopy(template)
    for patch in patches:
        *parents, last = _pointer(patch["path"])
        node: Any = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        op = patch["op"]
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if op == "add":
                node.insert(index, copy.deepcopy(patch["value"]))
            elif op == "replace":
                node[index] = copy.deepcopy(patch["value"])
            elif op == "remove":
                del node[index]
            else:
                raise ValueError(op)
        else:
            if op in ("replace", "remove") and last not in node:
                raise KeyError(patch["path"])
            if op == "remove":
                del node[last]
            elif op in ("add", "replace"):
                node[last] = copy.deepcopy(patch["value"])
            else:
                raise ValueError(op)
    return result


def patched_distribution_template() -> dict[str, Any]:
    return apply_patches(copilot_distribution_model(), templates.load(PATCHES))


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    template = patched_distribution_template()
    return template["Resources"]["CloudFrontDistribution"]["Properties"]["DistributionConfig"]


def test_patches_use_only_the_operations_copilot_supports():
    for patch in templates.load(PATCHES):
        assert patch["op"] in ("add", "remove", "replace")


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
    policy = patched_distribution_template()["Resources"]["FrontendResponseHeadersPolicy"]
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["ContentSecurityPolicy"]["ContentSecurityPolicy"] == {"Fn::Sub": EXPECTED_CSP}
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000 and hsts["IncludeSubdomains"] is True
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert headers["FrameOptions"]["FrameOption"] == "DENY"


def test_a_patch_on_a_path_copilot_does_not_render_is_an_error():
    with pytest.raises(KeyError):
        apply_patches(
            copilot_distribution_model(),
            [{"op": "replace", "path": "/Resources/CloudFrontDistribution/Nope", "value": 1}],
        )
