"""Assertions on the addon templates, read as Copilot merges them, with their intrinsics
evaluated per environment (devstack's resolver) where a value depends on the environment."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from tests.infra import support

ENV = support.merged(support.ENVIRONMENT_ADDONS)
SVC = support.merged(support.SERVICE_ADDONS)
BOTH = {"environment": ENV, "api": SVC}
DATA_STORES = (
    "AWS::DynamoDB::GlobalTable",
    "AWS::Backup::BackupVault",
    "AWS::Cognito::UserPool",
    "AWS::SecretsManager::Secret",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
)
COPILOT_TAGS = {"copilot-application": {"Ref": "App"}, "copilot-environment": {"Ref": "Env"}}


def resolved(template: dict[str, Any], env: str, value: Any, **parameters: str) -> Any:
    return support.resolver(template, env, **parameters).resolve(value)


def tags_of(resource: dict[str, Any]) -> dict[str, Any] | None:
    properties = resource.get("Properties", {})
    if "UserPoolTags" in properties:
        return properties["UserPoolTags"]
    if "Tags" in properties:
        return {tag["Key"]: tag["Value"] for tag in properties["Tags"]}
    return None


def taggable(resource_type: str) -> bool:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return bool({"Tags", "UserPoolTags"} & set(schema["properties"]))


@pytest.mark.parametrize("folder", BOTH)
def test_every_taggable_resource_carries_the_copilot_tags(folder):
    for logical_id, resource in BOTH[folder]["Resources"].items():
        if not taggable(resource["Type"]):
            continue
        tags = tags_of(resource) or {}
        for key, value in COPILOT_TAGS.items():
            assert tags.get(key) == value, f"{logical_id} lacks tag {key}"


def test_taggability_comes_from_the_resource_schemas():
    assert taggable("AWS::DynamoDB::Table") and not taggable("AWS::KMS::Alias")
    # A global table is tagged per replica, a vault and an SSM parameter by a map.
    assert not taggable("AWS::DynamoDB::GlobalTable") and not taggable("AWS::Backup::BackupVault")


def test_global_table_replicas_and_vaults_carry_the_copilot_tags():
    table = ENV["Resources"]["TasksTable"]["Properties"]
    local, remote = table["Replicas"]
    assert {t["Key"]: t["Value"] for t in local["Tags"]} == COPILOT_TAGS
    standby = remote["Fn::If"][1]
    assert {t["Key"]: t["Value"] for t in standby["Tags"]} == COPILOT_TAGS
    for resource in support.resources_of(ENV, "AWS::Backup::BackupVault").values():
        assert resource["Properties"]["BackupVaultTags"] == COPILOT_TAGS


# -- encryption and recovery --------------------------------------------------------------


def key_refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return {value["Ref"]}
        if set(value) == {"Fn::GetAtt"}:
            return {value["Fn::GetAtt"][0]}
    return set()


CMK = set(support.resources_of(ENV, "AWS::KMS::Key"))


def test_every_data_store_is_encrypted_with_a_customer_managed_key():
    checks = {
        "AWS::DynamoDB::GlobalTable": lambda p: p["Replicas"][0]["SSESpecification"][
            "KMSMasterKeyId"
        ],
        "AWS::Backup::BackupVault": lambda p: p["EncryptionKeyArn"],
        "AWS::SecretsManager::Secret": lambda p: p["KmsKeyId"],
        "AWS::Logs::LogGroup": lambda p: p["KmsKeyId"],
        "AWS::SNS::Topic": lambda p: p["KmsMasterKeyId"],
        "AWS::S3::Bucket": lambda p: p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]["KMSMasterKeyID"],
    }
    seen = set()
    for logical_id, resource in ENV["Resources"].items():
        if resource["Type"] in checks:
            seen.add(resource["Type"])
            key = checks[resource["Type"]](resource["Properties"])
            assert key_refs(key) & CMK, f"{logical_id} is not encrypted with this stack's CMK"
    assert seen == set(checks)
    table = ENV["Resources"]["TasksTable"]["Properties"]
    assert table["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert table["Replicas"][0]["Region"] == {"Ref": "AWS::Region"}
    assert table["Replicas"][0]["SSESpecification"] == {"KMSMasterKeyId": {"Ref": "DataKey"}}


def test_keys_rotate():
    for resource in support.resources_of(ENV, "AWS::KMS::Key").values():
        assert resource["Properties"]["EnableKeyRotation"] is True


def test_the_table_recovers_expires_and_streams():
    table = ENV["Resources"]["TasksTable"]["Properties"]
    for env in ("dev", "prod"):
        for replica in resolved(ENV, env, table["Replicas"], ReplicaRegion="eu-central-1"):
            recovery = replica["PointInTimeRecoverySpecification"]
            assert recovery == {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 35}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_the_table_keeps_the_keys_and_indexes_the_app_uses():
    table = ENV["Resources"]["TasksTable"]["Properties"]
    schema = lambda keys: [(k["AttributeName"], k["KeyType"]) for k in keys]  # noqa: E731
    assert schema(table["KeySchema"]) == [("PK", "HASH"), ("SK", "RANGE")]
    assert {i["IndexName"]: schema(i["KeySchema"]) for i in table["GlobalSecondaryIndexes"]} == {
        "ByUser": [("UserKey", "HASH"), ("PK", "RANGE")],
        "ByStatus": [("StatusKey", "HASH"), ("SK", "RANGE")],
        "ByAssignee": [("AssigneeKey", "HASH"), ("SK", "RANGE")],
        "ByAssigneeStatus": [("AssigneeStatusKey", "HASH"), ("SK", "RANGE")],
        "AssignedByDue": [("AssignedKey", "HASH"), ("DueKey", "RANGE")],
    }
    for index in table["GlobalSecondaryIndexes"]:
        assert index["Projection"] == {"ProjectionType": "ALL"}


def test_every_log_group_has_a_retention():
    groups = support.resources_of(ENV, "AWS::Logs::LogGroup") | support.resources_of(
        SVC, "AWS::Logs::LogGroup"
    )
    assert groups
    for logical_id, group in groups.items():
        assert group["Properties"].get("RetentionInDays", 0) > 0, logical_id


# -- protection outside dev ---------------------------------------------------------------


@pytest.mark.parametrize(
    "env,policy",
    [("dev", "Delete"), ("feat-login", "Delete"), ("staging", "Retain"), ("prod", "Retain")],
)
def test_data_is_retained_outside_dev(env, policy):
    stores = {k: v for k, v in ENV["Resources"].items() if v["Type"] in DATA_STORES}
    assert {v["Type"] for v in stores.values()} == set(DATA_STORES)
    for logical_id, resource in stores.items():
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
            assert resolved(ENV, env, resource.get(attribute)) == policy, (logical_id, attribute)


def test_intrinsic_deletion_policies_come_with_the_language_extensions():
    assert ENV["Transform"] == ["AWS::LanguageExtensions"]
    for path in support.templates.template_files(support.ENVIRONMENT_ADDONS):
        text = path.read_text()
        if re.search(r"(DeletionPolicy|UpdateReplacePolicy): !If", text):
            assert "Transform: AWS::LanguageExtensions" in text, path.name


@pytest.mark.parametrize(
    "env,protected",
    [("dev", False), ("feat-login", False), ("staging", True), ("prod", True)],
)
def test_deletion_protection_outside_dev(env, protected):
    table = ENV["Resources"]["TasksTable"]["Properties"]
    pool = ENV["Resources"]["UserPool"]["Properties"]
    (replica,) = resolved(ENV, env, table["Replicas"])
    assert replica["DeletionProtectionEnabled"] is protected
    assert resolved(ENV, env, pool["DeletionProtection"]) == ("ACTIVE" if protected else "INACTIVE")


# -- Cognito ------------------------------------------------------------------------------


def test_the_user_pool_signs_in_by_email_with_a_strong_password():
    pool = ENV["Resources"]["UserPool"]["Properties"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    for rule in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"):
        assert policy[rule] is True
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


@pytest.mark.parametrize(
    "env,parameters,mfa",
    [
        ("dev", {}, "OPTIONAL"),
        ("staging", {}, "OPTIONAL"),
        ("prod", {}, "ON"),
        ("prod", {"MfaInProduction": "OPTIONAL"}, "OPTIONAL"),
    ],
)
def test_mfa_by_environment(env, parameters, mfa):
    pool = ENV["Resources"]["UserPool"]["Properties"]
    assert resolved(ENV, env, pool["MfaConfiguration"], **parameters) == mfa


@pytest.mark.parametrize(
    "mode,tier", [("OFF", "ESSENTIALS"), ("AUDIT", "PLUS"), ("ENFORCED", "PLUS")]
)
def test_threat_protection_is_a_parameter(mode, tier):
    pool = ENV["Resources"]["UserPool"]["Properties"]
    assert ENV["Parameters"]["AdvancedSecurityMode"]["Default"] == "OFF"
    assert resolved(ENV, "prod", pool["UserPoolAddOns"], AdvancedSecurityMode=mode) == {
        "AdvancedSecurityMode": mode
    }
    assert resolved(ENV, "prod", pool["UserPoolTier"], AdvancedSecurityMode=mode) == tier


def test_the_browser_client_is_public_with_srp_and_refresh_only():
    client = ENV["Resources"]["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True
    units = client["TokenValidityUnits"]
    assert (client["AccessTokenValidity"], units["AccessToken"]) == (60, "minutes")
    assert (client["IdTokenValidity"], units["IdToken"]) == (60, "minutes")
    assert (client["RefreshTokenValidity"], units["RefreshToken"]) == (30, "days")


# -- WAF ----------------------------------------------------------------------------------


EDGE = support.load_yaml_cfn(support.ROOT / "addons" / "edge" / "cloudfront-waf.yml")


def managed_groups(acl: dict[str, Any]) -> set[str]:
    return {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in acl["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }


def test_the_cloudfront_web_acl_sees_clients_and_limits_each():
    acl = EDGE["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT" and acl["DefaultAction"] == {"Allow": {}}
    assert managed_groups(acl) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    rate = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert len(rate) == 1 and rate[0]["Action"] == {"Block": {}}
    assert rate[0]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert len({r["Priority"] for r in acl["Rules"]}) == len(acl["Rules"])
    logging = EDGE["Resources"]["WebAclLogging"]["Properties"]
    assert logging["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]
    assert EDGE["Rules"]["OnlyInUsEast1"]["Assertions"][0]["Assert"] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]
    }


def test_the_regional_web_acl_keeps_what_does_not_depend_on_the_address():
    """Behind CloudFront the load balancer sees only edge addresses."""
    acl = ENV["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    assert managed_groups(acl) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    }
    assert not [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert len({r["Priority"] for r in acl["Rules"]}) == len(acl["Rules"])


def test_the_web_acl_logs_without_the_authorization_or_origin_header():
    logging = ENV["Resources"]["WebAclLogging"]["Properties"]
    assert logging["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "x-origin-verify"}},
    ]
    group = ENV["Resources"]["WebAclLogGroup"]["Properties"]
    assert resolved(ENV, "prod", group["LogGroupName"]).startswith("aws-waf-logs-")


@pytest.mark.parametrize("arn,associated", [("", False), ("arn:aws:elasticloadbalancing:x", True)])
def test_the_web_acl_is_associated_once_the_load_balancer_exists(arn, associated):
    association = ENV["Resources"]["WebAclAssociation"]
    assert association["Properties"]["ResourceArn"] == {"Ref": "PublicLoadBalancerArn"}
    condition = support.resolver(ENV, "prod", PublicLoadBalancerArn=arn).condition(
        association["Condition"]
    )
    assert condition is associated


# -- the frontend bucket ------------------------------------------------------------------


def test_the_frontend_bucket_is_private_versioned_and_tls_only():
    bucket = ENV["Resources"]["FrontendBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policy = resolved(
        ENV, "prod", ENV["Resources"]["FrontendBucketPolicy"]["Properties"]["PolicyDocument"]
    )
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": False}}


@pytest.mark.parametrize("distribution", ["", "E2EXAMPLE"])
def test_only_the_environments_distribution_reads_the_bucket(distribution):
    for logical_id, path in (
        ("FrontendBucketPolicy", "PolicyDocument"),
        ("FrontendKey", "KeyPolicy"),
    ):
        document = resolved(
            ENV,
            "prod",
            ENV["Resources"][logical_id]["Properties"][path],
            CloudFrontDistributionId=distribution,
        )
        readers = [
            s
            for s in document["Statement"]
            if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
        ]
        if not distribution:
            assert readers == []
            continue
        (reader,) = readers
        assert reader["Condition"] == {
            "StringEquals": {
                "aws:SourceArn": f"arn:aws:cloudfront::111122223333:distribution/{distribution}"
            }
        }


# -- the dashboard -------------------------------------------------------------------------


def test_the_dashboard_is_json_and_never_names_the_ecs_service():
    body = resolved(SVC, "prod", SVC["Resources"]["Dashboard"]["Properties"]["DashboardBody"])
    widgets = json.loads(body)["widgets"]
    assert {w["properties"]["title"] for w in widgets} >= {
        "WAF at CloudFront (clients)",
        "WAF at the load balancer",
    }
    # The service's name would make the addons depend on the service (a cycle): the task
    # metrics are found by a search on the cluster.
    assert "EcsServiceName" not in SVC["Parameters"]
    tasks = next(w for w in widgets if w["properties"]["title"].startswith("Tasks"))
    assert all("SEARCH(" in m[0]["expression"] for m in tasks["properties"]["metrics"])


# -- what the environment takes from its settings ---------------------------------------------

ENV_PARAMETERS = support.load_yaml_cfn(support.ENVIRONMENT_ADDONS / "addons.parameters.yml")[
    "Parameters"
]


@pytest.mark.parametrize("parameter", ["AlarmEmail", "SesIdentityArn", "CloudFrontWebAclArn"])
def test_copilot_passes_each_environment_its_settings(parameter):
    name = {
        "AlarmEmail": "alarm-email",
        "SesIdentityArn": "ses-identity-arn",
        "CloudFrontWebAclArn": "cloudfront-web-acl-arn",
    }[parameter]
    assert ENV_PARAMETERS[parameter] == {
        "Fn::Sub": f"{{{{resolve:ssm:/${{AppName}}/${{EnvironmentName}}/{name}}}}}"
    }


@pytest.mark.parametrize("email,subscribed", [("", False), ("oncall@example.com", True)])
def test_the_alarm_topic_mails_the_environments_address(email, subscribed):
    subscription = ENV["Resources"]["AlarmEmailSubscription"]
    condition = support.resolver(ENV, "prod", AlarmEmail=email).condition(subscription["Condition"])
    assert condition is subscribed
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


SES_IDENTITY = "arn:aws:ses:eu-west-1:111122223333:identity/no-reply@teamtasks.example.com"


@pytest.mark.parametrize(
    "identity,expected",
    [
        ("none", {"EmailSendingAccount": "COGNITO_DEFAULT"}),
        (
            SES_IDENTITY,
            {
                "EmailSendingAccount": "DEVELOPER",
                "SourceArn": SES_IDENTITY,
                "From": "no-reply@teamtasks.example.com",
            },
        ),
    ],
)
def test_the_user_pool_sends_mail_with_ses_when_the_environment_names_an_identity(
    identity, expected
):
    pool = ENV["Resources"]["UserPool"]["Properties"]
    assert resolved(ENV, "prod", pool["EmailConfiguration"], SesIdentityArn=identity) == expected


def test_every_rotation_function_has_an_alarm_for_its_failures():
    functions = support.resources_of(ENV, "AWS::Lambda::Function")
    assert functions
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for alarm in support.resources_of(ENV, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/Lambda"
        and alarm["Properties"]["MetricName"] == "Errors"
    }
    rotations = {
        r["Properties"]["RotationLambdaARN"]["Fn::GetAtt"][0]
        for r in support.resources_of(ENV, "AWS::SecretsManager::RotationSchedule").values()
    }
    assert rotations and rotations <= alarmed
