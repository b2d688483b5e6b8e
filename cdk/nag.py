"""cdk-nag on every stack: the AWS Solutions rules and NIST 800-53 rev 5, run by CDK's validation
at synthesis, with CDK's own template validation (CloudFormation Validate) and construct
annotations. A finding fails the synthesis unless it is acknowledged on the construct it concerns,
with its reason: the app's own constructs where they are made (through `acknowledge` below), the
included addons' resources in ADDONS here, since the addon templates are not the app's code.
docs/security.md lists every acknowledged rule; tests/cdk holds the list to the findings."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
import cdk_nag
from aws_cdk import cloudformation_include as cfn_inc
from constructs import IConstruct


@dataclass(frozen=True)
class Acknowledged:
    path: str
    rule: str
    reason: str


_ACKNOWLEDGED: list[Acknowledged] = []


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
    _ACKNOWLEDGED.append(Acknowledged(construct.node.path, rule, reason))


def skip_checkov(construct: IConstruct, check: str, reason: str) -> None:
    """A checkov check this resource does not pass, with the reason, in its Metadata as the
    addons write theirs (checkov reads it from the synthesised template)."""
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    assert isinstance(resource, cdk.CfnResource), construct.node.path
    metadata = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"].append({"id": check, "comment": reason})
    resource.add_metadata("checkov", metadata)
    _ACKNOWLEDGED.append(Acknowledged(construct.node.path, f"checkov::{check}", reason))


def acknowledged() -> list[Acknowledged]:
    """Every acknowledgment made in this process, for the tests and docs/security.md."""
    return list(_ACKNOWLEDGED)


def check(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))
    cdk.Validations.of(app).add_plugins(cdk_nag.NIST80053R5Checks(app))


# -- the addons' resources ---------------------------------------------------------------------

_LAMBDA_RUNTIME = (
    "The runtime is the addon's (addons/environment), pinned with the function's code and "
    "tests; it moves to a newer Python deliberately, not on each release of Lambda."
)
_CONCURRENCY = (
    "The addon reserves concurrency per environment (an Fn::If on its Reserves*Concurrency "
    "condition), which the rule cannot evaluate."
)
_STREAM_DLQ = (
    "A stream function: its event source mapping sends a batch it gives up on to the stream's "
    "dead-letter queue (addons/environment/stream.yml); a function DLQ applies to asynchronous "
    "invocations, which it never gets."
)
_ROTATION_DLQ = (
    "Secrets Manager invokes the rotation function synchronously and retries a failed step; "
    "a failure raises the rotation alarm (alarms.yml)."
)
_LOGS_STAR = (
    "Log streams are created at run time: the grant is on the function's own log group's "
    "streams (log-group:<group>:*), nothing wider."
)
_ENI = (
    "A function in the VPC creates and deletes its network interfaces, whose ids are not known "
    "in advance; the statement is conditioned on the environment's subnets and security group."
)
_NO_RESOURCE_LEVEL = (
    "The statement's actions have no resource-level permissions (IAM's service authorization "
    "reference), so its resource is '*'; every other statement names its resources."
)
_STREAM_ARN = (
    "The table's stream ARN ends in a timestamp that changes when the stream is re-enabled; "
    "the grant is on this table's streams only (<table>/stream/*)."
)
_BUCKET_LOGS = (
    "Server access logs of this bucket go to the environment's access-log bucket "
    "(frontend.yml); the rule cannot see a log target given as a parameter."
)
_NO_REPLICATION = (
    "Not replicated: prod's recovery in a second region is the table's replica and the "
    "backups' copies (docs/disaster-recovery.md); this bucket's content is rebuilt by a deploy."
)

_NOTIFIER_DLQ = (
    "Its stream mapping sends a batch it gives up on, and its asynchronous invocations (the "
    "digest schedule, SES's bounce and complaint events) send an event they give up on, to the "
    "stream's dead-letter queue (stream-notify.yml: the mapping's and NotifierAsyncConfig's "
    "OnFailure destinations); a function DLQ would be a second, unwatched queue."
)
_SES_IDENTITY = (
    "SendEmail is authorised on the identity and the configuration set; a feature environment "
    "sends from its own subdomain through dev's identity, whose name this stack does not know, "
    "so the grant is on this account's and region's identities with the sender pinned by "
    "ses:FromAddress to the environment's domain (stream-notify.yml)."
)
_UNROTATED_SIGNING_KEY = (
    "It signs the unsubscribe links of emails already sent: a scheduled rotation would break "
    "every link older than it. A rotation by hand keeps the previous version, and both verify "
    "(mail.yml, docs/security.md)."
)


def _addon_function(dead_letters: str) -> list[tuple[str, str]]:
    """An addon's function: its pinned runtime, its Fn::If concurrency, where its failures go."""
    return [
        ("AwsSolutions-L1", _LAMBDA_RUNTIME),
        ("NIST.800.53.R5-LambdaConcurrency", _CONCURRENCY),
        ("NIST.800.53.R5-LambdaDLQ", dead_letters),
    ]


def _function_in_the_vpc(log_group: str) -> list[tuple[str, str]]:
    """A function in the VPC: actions without resource-level permissions, its network
    interfaces, its own log group's streams."""
    return [
        ("AwsSolutions-IAM5[Resource::*]", _NO_RESOURCE_LEVEL),
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:"
            "<AWS::AccountId>:network-interface/*]",
            _ENI,
        ),
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:"
            "<AWS::AccountId>:subnet/*]",
            _ENI,
        ),
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:"
            f"<AWS::AccountId>:log-group:<{log_group}>:*]",
            _LOGS_STAR,
        ),
    ]


def _stream_function(log_group: str) -> list[tuple[str, str]]:
    """A function in the VPC on the table's stream."""
    return [
        ("AwsSolutions-IAM5[Resource::<TasksTable.Arn>/stream/*]", _STREAM_ARN),
        *_function_in_the_vpc(log_group),
    ]


ADDONS: dict[str, list[tuple[str, str]]] = {
    "ArchiveFunction": _addon_function(_STREAM_DLQ),
    "PurgeFunction": _addon_function(_STREAM_DLQ),
    "NotifierFunction": _addon_function(_NOTIFIER_DLQ),
    "TaskIndexFunction": _addon_function(_STREAM_DLQ),
    "NotifierPolicy": [
        *_stream_function("NotifierLogGroup"),
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:"
            "<AWS::AccountId>:identity/*]",
            _SES_IDENTITY,
        ),
    ],
    "TaskIndexPolicy": _stream_function("TaskIndexLogGroup"),
    "DigestScheduleRole": [
        (
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "The policy belongs to this one role, which only EventBridge Scheduler assumes to "
            "invoke the notifier; a managed policy would only add a resource.",
        ),
    ],
    "UnsubscribeSigningSecret": [
        ("AwsSolutions-SMG4", _UNROTATED_SIGNING_KEY),
        ("NIST.800.53.R5-SecretsManagerRotationEnabled", _UNROTATED_SIGNING_KEY),
    ],
    "CursorRotationFunction": _addon_function(_ROTATION_DLQ),
    "OriginRotationFunction": [
        *_addon_function(_ROTATION_DLQ),
        (
            "NIST.800.53.R5-LambdaInsideVPC",
            "It calls CloudFront's API to change the distribution's header, and CloudFront has "
            "no VPC endpoint; the tasks' network lets nothing out to a NAT gateway.",
        ),
    ],
    "ArchivePolicy": [
        *_stream_function("ArchiveLogGroup"),
        (
            "AwsSolutions-IAM5[Resource::<AuditArchiveBucket.Arn>/audit/*]",
            "The archive writes one object per event under audit/ (keys made at run time); "
            "Object Lock keeps each for the retention period.",
        ),
    ],
    "PurgePolicy": _stream_function("PurgeLogGroup"),
    "CursorRotationPolicy": _function_in_the_vpc("CursorRotationLogGroup"),
    "OriginRotationPolicy": [
        ("AwsSolutions-IAM5[Resource::*]", _NO_RESOURCE_LEVEL),
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:"
            "<AWS::AccountId>:log-group:<OriginRotationLogGroup>:*]",
            _LOGS_STAR,
        ),
    ],
    "DataBreakGlassPolicy": [
        ("AwsSolutions-IAM5[Resource::*]", _NO_RESOURCE_LEVEL),
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:backup:<AWS::Region>:"
            "<AWS::AccountId>:recovery-point:*]",
            "A restore names a recovery point made at run time; the role is assumed only with "
            "MFA, by principals an administrator allows (kms.yml, docs/deploy.md).",
        ),
        (
            'AwsSolutions-IAM5[Resource::["arn:${AWS::Partition}:dynamodb:${AWS::Region}:'
            '${AWS::AccountId}:table/teamtasks-${Owner}-tasks-restored-*",{"Owner":{"Fn::If":'
            '["OwnsTheTable","{env}","{primary}"]}}]]',
            "Restored copies are named by their date (<table>-restored-<date>): the role reads "
            "only copies of this table.",
        ),
        (
            'AwsSolutions-IAM5[Resource::["arn:${AWS::Partition}:dynamodb:${AWS::Region}:'
            '${AWS::AccountId}:table/teamtasks-${Owner}-tasks-restored-*/index/*",{"Owner":'
            '{"Fn::If":["OwnsTheTable","{env}","{primary}"]}}]]',
            "The indexes of the restored copies above.",
        ),
        (
            'AwsSolutions-IAM5[Resource::["arn:${AWS::Partition}:dynamodb:${AWS::Region}:'
            '${AWS::AccountId}:table/teamtasks-${Owner}-tasks/backup/*",{"Owner":{"Fn::If":'
            '["OwnsTheTable","{env}","{primary}"]}}]]',
            "On-demand backups of this table, named at run time.",
        ),
    ],
    "BackupRole": [
        (
            "AwsSolutions-IAM5[Resource::<TasksTable.Arn>-restored-*]",
            "AWS Backup's restore tests make dated copies of this table only.",
        ),
        (
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "The policy belongs to this one role; a managed policy would only add a resource.",
        ),
    ],
    "RestoreRole": [
        (
            'AwsSolutions-IAM5[Resource::["arn:${AWS::Partition}:dynamodb:${AWS::Region}:'
            '${AWS::AccountId}:table/teamtasks-${Primary}-tasks-restored-*",{"Primary":'
            '"{prefix}"}]]',
            "The standby's restore role: AWS Backup restores a copy of prod's table under a "
            "dated name (<table>-restored-<date>) made at run time; only copies of that table.",
        ),
        (
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "The policy belongs to this one role; a managed policy would only add a resource.",
        ),
    ],
    "OperatorPolicy": [
        (
            "AwsSolutions-IAM5[Resource::<TasksTable.Arn>/index/*]",
            "A migration reads the table's indexes (Query), each named at this table only.",
        ),
        (
            "AwsSolutions-IAM5[Resource::<AuditArchiveBucket.Arn>/audit/*]",
            "The archive's check reads every version of every object under audit/ (one per "
            "event, keys made at run time), in this bucket only and read-only.",
        ),
    ],
    "FrontendPublisherPolicy": [
        ("AwsSolutions-IAM5[Resource::*]", _NO_RESOURCE_LEVEL),
        (
            "AwsSolutions-IAM5[Resource::<FrontendBucket.Arn>/*]",
            "The publisher writes the build's content-hashed files, whose names are made at "
            "build time, into this bucket only.",
        ),
    ],
    "FrontendBucket": [
        ("AwsSolutions-S1", _BUCKET_LOGS),
        ("NIST.800.53.R5-S3BucketLoggingEnabled", _BUCKET_LOGS),
        ("NIST.800.53.R5-S3BucketReplicationEnabled", _NO_REPLICATION),
    ],
    "AuditArchiveBucket": [
        (
            "AwsSolutions-S1",
            "Only the archive function writes and only break glass reads it; every request is "
            "in CloudTrail, and Object Lock keeps each object for the retention period.",
        ),
        (
            "NIST.800.53.R5-S3BucketLoggingEnabled",
            "As AwsSolutions-S1: CloudTrail records every request of the two principals.",
        ),
        (
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "The archive is rebuilt from the table's stream; prod's table has a replica "
            "in the second region (docs/disaster-recovery.md).",
        ),
    ],
    "StreamDeadLetterQueue": [
        ("AwsSolutions-SQS3", "It is the stream functions' dead-letter queue."),
    ],
    "PrivateFunctionsSecurityGroup": [
        (
            "AwsSolutions-EC27",
            "Its description is a !Sub of the environment's name, which the rule cannot read.",
        ),
    ],
    "UserPool": [
        (
            "AwsSolutions-COG2",
            "MFA is required in prod and optional elsewhere (MfaInProduction, an Fn::If the "
            "rule cannot evaluate).",
        ),
        (
            "AwsSolutions-COG8",
            "Threat protection moves the pool to the Plus plan, billed per monthly active user; "
            "it is one parameter away (AdvancedSecurityMode, docs/deploy.md).",
        ),
    ],
}

NETWORK_ADDONS: dict[str, list[tuple[str, str]]] = {
    "EndpointSecurityGroup": [
        (
            "AwsSolutions-EC23",
            "It admits 443 from the private tier's CIDR (a !Select of the VPC's), which the "
            "rule cannot read as a range.",
        ),
        ("AwsSolutions-EC27", "Its description is a !Sub the rule cannot read."),
        (
            "NIST.800.53.R5-EC2RestrictedCommonPorts",
            "443 only, from the private tier's CIDR (see AwsSolutions-EC23).",
        ),
        ("NIST.800.53.R5-EC2RestrictedSSH", "No SSH: 443 only, from the private tier."),
    ],
    "FlowLogRole": [
        (
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "The policy belongs to this one role; a managed policy would only add a resource.",
        ),
    ],
    "PublicDefaultRoute": [
        (
            "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
            "The public tier holds the load balancer (reached by CloudFront) and the NAT "
            "gateways; its NACL admits 443 and replies only (docs/architecture.md).",
        ),
    ],
    "Vpc": [
        (
            "NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
            "Nothing runs in the default group: every task, function and endpoint has its "
            "own, and the NACLs deny what the flow table does not list. Closing the default "
            "group's rules needs a custom resource in addons/network/vpc.yml (to do there).",
        ),
    ],
}
REGISTRY_ADDONS: dict[str, list[tuple[str, str]]] = {
    "EcrPublicCacheRepositoryCreator": [
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:"
            "<AWS::AccountId>:repository/teamtasks-ecr-public/*]",
            "ECR creates the cache's repositories on the first pull of each upstream image, "
            "named after it; the role may create and tag only those under the cache's prefix.",
        ),
        (
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "The policy belongs to this one role, which only ECR assumes; a managed policy "
            "would only add a resource.",
        ),
    ],
}
_NACL = (
    "The network ACLs are the deliberate second layer under the security groups: each tier "
    "admits exactly the flows of docs/architecture.md's table (tests/infra/test_network.py)."
)


def acknowledge_addons(
    included: cfn_inc.CfnInclude, table: dict[str, list[tuple[str, str]]], env: str, primary: str
) -> None:
    """`primary`: the environment's family (prod for its standby); a rule's {prefix} is the
    name's first dash-separated part, as the addons' `!Select [0, !Split ["-", !Ref Env]]`."""
    prefix = env.split("-", maxsplit=1)[0]
    for logical_id, pairs in table.items():
        resource = included.get_resource(logical_id)
        for rule, reason in pairs:
            named = rule.replace("{env}", env).replace("{primary}", primary)
            acknowledge(resource, named.replace("{prefix}", prefix), reason)


def acknowledge_network_acls(included: cfn_inc.CfnInclude, template: dict) -> None:
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in ("AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry"):
            acknowledge(included.get_resource(logical_id), "AwsSolutions-VPC3", _NACL)


# -- CDK's own template validation, where the app's way of including the addons shows ----------

TEMPLATE_VALIDATION = {
    "CloudFormation-Validate::W8003": (
        "The app includes each addon with the environment's name filled in, so a condition on "
        "the name (Disposable, Production, ThreeZones...) is constant in that environment's "
        "template, as CloudFormation would evaluate it on the Copilot path."
    ),
    "CloudFormation-Validate::W1028": (
        "The other branch of an Fn::If on a condition that is constant in this environment "
        "(see W8003)."
    ),
    "CloudFormation-Validate::W9053": (
        "Two of the addons' conditions agree for this environment's name (see W8003)."
    ),
    "CloudFormation-Validate::W1001": (
        "An output of a resource that only some environments have, guarded by an Fn::If on the "
        "same condition (the addons' and the network's outputs)."
    ),
}
SSM_SETTING_DEFAULTS = {
    "CloudFormation-Validate::E3013": (
        "The alias is the setting /<app>/<env>/domain, a parameter of type "
        "AWS::SSM::Parameter::Value<String> whose default is the setting's name: CloudFormation "
        "uses its value, the validator its name."
    ),
    "CloudFormation-Validate::F3012": (
        "A function's reserved concurrency is the setting /<app>/<env>/reserved-concurrency/"
        "<family> (an SSM-typed parameter, see E3013), used only when it is not 0."
    ),
    "CloudFormation-Validate::F3031": (
        "The SES identity is the setting /<app>/<env>/ses-identity-arn (an SSM-typed parameter, "
        "see E3013)."
    ),
}
IMPORTED_SUBNETS = (
    "The environment's subnets are the network stack's exports; nothing reads their route tables."
)
