"""The stream functions' templates (addons/environment/stream*.yml), read as Copilot merges them
and evaluated per environment: the mappings and their filters, the dead-letter queue, the
alarms, the roles, the network, Object Lock; and the code Copilot would zip for each function.
cfn-lint and checkov run over the same merged template in test_linters.py."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app.storage import keys
from tests.infra import support

ENV = support.merged(support.ENVIRONMENT_ADDONS)
RESOURCES = ENV["Resources"]
FUNCTIONS = {
    "PurgeFunction": ("PurgeEventSourceMapping",),
    "ArchiveFunction": ("ArchiveEventSourceMapping",),
    "NotifierFunction": ("NotifierEventSourceMapping",),
    "TaskIndexFunction": ("TaskIndexLabelsMapping", "TaskIndexWordsMapping"),
}
ROLES = {
    "PurgeFunction": "PurgeRole",
    "ArchiveFunction": "ArchiveRole",
    "NotifierFunction": "NotifierRole",
    "TaskIndexFunction": "TaskIndexRole",
}
POLICIES = {
    "PurgeFunction": "PurgePolicy",
    "ArchiveFunction": "ArchivePolicy",
    "NotifierFunction": "NotifierPolicy",
    "TaskIndexFunction": "TaskIndexPolicy",
}
# Where each mapping starts when it is created: the purge, the archive and the task index from
# the stream's oldest record (nothing may be missed; the index's writes are idempotent); the
# notifier from its end (a first deployment must not mail a day of past changes).
STARTING_POSITIONS = {
    "PurgeFunction": "TRIM_HORIZON",
    "ArchiveFunction": "TRIM_HORIZON",
    "NotifierFunction": "LATEST",
    "TaskIndexFunction": "TRIM_HORIZON",
}
# Batches of one shard at once (one invocation per shard otherwise). Lambda keeps the records
# of one partition key (one workspace) in order across them.
PARALLEL_MAPPINGS = {"TaskIndexWordsMapping": 4}
ALARM_TOPIC = [{"Ref": "AlarmTopic"}]
# What the Lambda runtime and the Powertools layer provide besides the function's own files.
RUNTIME_PACKAGES = {"boto3", "botocore", "aws_lambda_powertools"}


def resolved(value: Any, env: str = "prod", **parameters: str) -> Any:
    return support.resolver(ENV, env, **parameters).resolve(value)


def properties(logical_id: str) -> dict[str, Any]:
    return RESOURCES[logical_id]["Properties"]


def statements(function: str) -> dict[str, dict[str, Any]]:
    document = properties(POLICIES[function])["PolicyDocument"]
    return {s["Sid"]: s for s in document["Statement"]}


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- delivery ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function,mapping_id",
    [(function, mapping) for function, mappings in FUNCTIONS.items() for mapping in mappings],
)
def test_each_mapping_is_on_the_tables_stream_with_the_delivery_care(function, mapping_id):
    mappings = {
        logical_id
        for logical_id, m in support.resources_of(ENV, "AWS::Lambda::EventSourceMapping").items()
        if m["Properties"]["FunctionName"] == {"Ref": function}
    }
    assert mappings == set(FUNCTIONS[function])
    mapping = RESOURCES[mapping_id]
    p = mapping["Properties"]
    assert p["EventSourceArn"] == {"Fn::GetAtt": ["TasksTable", "StreamArn"]}
    assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert p["BisectBatchOnFunctionError"] is True
    # Retries end: after a bounded number of attempts, and before the stream drops the
    # records (24 hours), so that the dead-letter queue's description can still be re-driven.
    assert 1 <= p["MaximumRetryAttempts"] <= 100
    assert 60 <= p["MaximumRecordAgeInSeconds"] < 24 * 3600
    assert p["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}}
    }
    # One invocation per shard at a time (a workspace's events reach the archive in order), or
    # a few, which keep each workspace's records in order too.
    assert p["ParallelizationFactor"] == PARALLEL_MAPPINGS.get(mapping_id, 1)
    assert p["StartingPosition"] == STARTING_POSITIONS[function]
    # Lambda checks the role's stream permissions when it creates the mapping.
    assert mapping["DependsOn"] == POLICIES[function]


def patterns(mapping: str) -> list[dict[str, Any]]:
    return [json.loads(f["Pattern"]) for f in properties(mapping)["FilterCriteria"]["Filters"]]


def test_the_streams_readers_are_the_five_the_docs_name():
    """Each mapping reads every shard of the stream (filters apply after the read). AWS's
    guidance is two readers per shard, one for a global table; the table has five, which
    docs/stream-processing.md ("How many read the stream") names and weighs. A sixth reader
    fails here until the docs weigh it too."""
    stream = {"Fn::GetAtt": ["TasksTable", "StreamArn"]}
    readers = sorted(
        name
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        and resource["Properties"].get("EventSourceArn") == stream
    )
    assert readers == sorted(m for mappings in FUNCTIONS.values() for m in mappings)
    docs = (support.ROOT / "docs" / "stream-processing.md").read_text()
    assert f"the table's stream has **{_WORDS[len(readers)]}** mappings" in docs


_WORDS = {4: "four", 5: "five", 6: "six", 7: "seven"}


def test_the_purge_gets_only_the_deletion_of_a_workspace_and_memberships_that_end_or_begin():
    deletion, memberships = patterns("PurgeEventSourceMapping")
    workspace = keys.workspace_key("X")
    member = keys.membership_key("X", "U")
    prefix = workspace["PK"].removesuffix("X")
    assert deletion == {
        "eventName": ["MODIFY"],
        "dynamodb": {
            "Keys": {"PK": {"S": [{"prefix": prefix}]}, "SK": {"S": [workspace["SK"]]}},
            "OldImage": {"deleted": {"BOOL": [False]}},
            "NewImage": {"deleted": {"BOOL": [True]}},
        },
    }
    # Issue 20, item 4: the member's tasks leave AssignedByDue, and come back.
    assert memberships == {
        "eventName": ["REMOVE", "INSERT"],
        "dynamodb": {
            "Keys": {
                "PK": {"S": [{"prefix": prefix}]},
                "SK": {"S": [{"prefix": member["SK"].removesuffix("U")}]},
            }
        },
    }


def test_the_task_index_gets_every_change_of_a_task_item_and_the_deletion_of_a_label():
    (words,) = patterns("TaskIndexWordsMapping")
    workspace_prefix = keys.workspace_pk("X").removesuffix("X")
    assert words == {
        "dynamodb": {
            "Keys": {
                "PK": {"S": [{"prefix": workspace_prefix}]},
                "SK": {"S": [{"prefix": keys.TASK_PREFIX}]},
            }
        }
    }
    (labels,) = patterns("TaskIndexLabelsMapping")
    assert labels == {
        "eventName": ["REMOVE"],
        "dynamodb": {
            "Keys": {
                "PK": {"S": [{"prefix": workspace_prefix}]},
                "SK": {"S": [{"prefix": keys.LABEL_PREFIX}]},
            }
        },
    }
    # The label prefix is no prefix of the label entries' or the name markers' SKs.
    label_item = keys.label_key("W", "L")["SK"]
    assert label_item.startswith(keys.LABEL_PREFIX)
    for other in (keys.labelled_key("W", "L", "T")["SK"], keys.label_name_key("W", "n")["SK"]):
        assert not other.startswith(keys.LABEL_PREFIX)
    # Nor is the task prefix one of the task's entries' SKs.
    for entry in (
        keys.due_entry_key("W", None, "T"),
        keys.priority_entry_key("W", "low", None, "T"),
    ):
        assert not entry["SK"].startswith(keys.TASK_PREFIX)


def test_the_archive_gets_only_new_audit_events():
    (pattern,) = patterns("ArchiveEventSourceMapping")
    assert pattern == {
        "eventName": ["INSERT"],
        "dynamodb": {"Keys": {"PK": {"S": [{"prefix": keys.audit_pk("X").removesuffix("X")}]}}},
    }


def test_the_dead_letter_queue_is_encrypted_with_a_cmk_tls_only_and_watched():
    queue = properties("StreamDeadLetterQueue")
    assert queue["KmsMasterKeyId"] == {"Ref": "StreamKey"}
    assert RESOURCES["StreamKey"]["Type"] == "AWS::KMS::Key"
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    (deny,) = properties("StreamDeadLetterQueuePolicy")["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": False}})
    alarm = properties("StreamDeadLetterAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["StreamDeadLetterQueue", "QueueName"]}}
    ]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["AlarmActions"] == ALARM_TOPIC


def metric_stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]["Metric"]
        for m in alarm["Properties"].get("Metrics", [])
        if "MetricStat" in m
    }


@pytest.mark.parametrize(
    "function,service,failures",
    [
        ("PurgeFunction", "stream-purge", "PurgeFailures"),
        ("ArchiveFunction", "audit-archive", "AuditArchiveFailures"),
        ("TaskIndexFunction", "task-index", "TaskIndexFailures"),
        ("NotifierFunction", "notifier", "NotifyFailures"),
    ],
)
def test_each_function_has_an_errors_alarm_that_counts_failed_records_too(
    function, service, failures
):
    (alarm,) = [
        a
        for a in support.resources_of(ENV, "AWS::CloudWatch::Alarm").values()
        if {"Name": "FunctionName", "Value": {"Ref": function}}
        in metric_stats(a).get("Errors", {}).get("Dimensions", [])
    ]
    own = metric_stats(alarm)[failures]
    assert (own["Namespace"], own["Dimensions"]) == (
        "TeamTasks",
        [{"Name": "service", "Value": service}],
    )
    # The handler emits that metric, with that service name.
    source = handler_path(function).read_text()
    assert f'name="{failures}"' in source and f'SERVICE = "{service}"' in source
    assert alarm["Properties"]["Threshold"] == 0
    assert alarm["Properties"]["AlarmActions"] == ALARM_TOPIC


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_has_an_iterator_age_alarm(function):
    (alarm,) = [
        a
        for a in support.resources_of(ENV, "AWS::CloudWatch::Alarm").values()
        if "IteratorAge" in metric_stats(a)
        and metric_stats(a)["IteratorAge"]["Dimensions"]
        == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    ]
    assert alarm["Properties"]["Threshold"] == {"Ref": "StreamIteratorAgeAlarmSeconds"}
    (seconds,) = [m for m in alarm["Properties"]["Metrics"] if m.get("ReturnData")]
    assert seconds["Expression"] == "age / 1000"
    assert alarm["Properties"]["AlarmActions"] == ALARM_TOPIC


# -- the functions -------------------------------------------------------------------------


def handler_path(function: str) -> Path:
    p = properties(function)
    module, _ = p["Handler"].split(".")
    return support.ROOT / p["Code"] / f"{module}.py"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_runs_its_handler_with_powertools_tracing_and_its_log_group(function):
    p = properties(function)
    _, name = p["Handler"].split(".")
    assert f"def {name}(" in handler_path(function).read_text()
    assert p["Runtime"] == "python3.13"
    assert p["TracingConfig"] == {"Mode": "Active"}
    (layer,) = resolved(p["Layers"], PowertoolsLayerVersion="27")
    assert layer == (
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
    )
    group = properties(p["LoggingConfig"]["LogGroup"]["Ref"])
    assert resolved(group["LogGroupName"]) == "/aws/lambda/" + resolved(p["FunctionName"])
    assert group["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    # The role may create the function's network interfaces before the function exists.
    assert RESOURCES[function]["DependsOn"] == POLICIES[function]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_gets_exactly_the_settings_its_handler_reads(function):
    source = handler_path(function).read_text()
    read = set(re.findall(r'environ\["([A-Z_]+)"\]', source))
    assert read, "no setting found"
    given = set(properties(function)["Environment"]["Variables"]) - {"POWERTOOLS_LOG_LEVEL"}
    assert given == read


@pytest.mark.parametrize(
    "function,parameter,setting",
    [
        ("PurgeFunction", "PurgeReservedConcurrency", "purge"),
        ("ArchiveFunction", "ArchiveReservedConcurrency", "archive"),
        ("NotifierFunction", "NotifierReservedConcurrency", "notifier"),
        ("CursorRotationFunction", "RotationReservedConcurrency", "rotation"),
        ("OriginRotationFunction", "RotationReservedConcurrency", "rotation"),
    ],
)
def test_no_concurrency_is_reserved_unless_the_environment_sets_it(function, parameter, setting):
    """A new account's concurrency (10) leaves nothing to reserve above the 100 Lambda keeps
    unreserved, so the templates reserve none; an environment whose account has the quota sets
    its own (issue 19.6)."""
    assert ENV["Parameters"][parameter]["Default"] == 0
    concurrency = {"Reserved": properties(function)["ReservedConcurrentExecutions"]}
    assert resolved(concurrency) == {}
    assert resolved(concurrency, **{parameter: "2"}) == {"Reserved": "2"}
    parameters = support.load_yaml_cfn(support.ENVIRONMENT_ADDONS / "addons.parameters.yml")
    assert parameters["Parameters"][parameter] == {
        "Fn::Sub": "{{resolve:ssm:/${AppName}/${EnvironmentName}/reserved-concurrency/"
        + setting
        + "}}"
    }


def test_the_task_index_reserves_no_concurrency_by_default():
    # issue-22's function predates the per-environment settings (reserved-concurrency/<name>);
    # until it has one, its template parameter reserves none by default.
    assert ENV["Parameters"]["TaskIndexReservedConcurrency"]["Default"] == 0
    concurrency = {"Reserved": properties("TaskIndexFunction")["ReservedConcurrentExecutions"]}
    assert resolved(concurrency) == {}
    assert resolved(concurrency, TaskIndexReservedConcurrency="3") == {"Reserved": "3"}


IN_THE_VPC = [
    "ArchiveFunction",
    "CursorRotationFunction",
    "NotifierFunction",
    "PurgeFunction",
    "TaskIndexFunction",
]


def test_every_function_but_the_origin_rotation_runs_in_the_vpc():
    """The origin header's rotation runs when the environment is created, before Copilot adds
    the NAT gateways: it joins the others once the environment has VPC endpoints."""
    functions = support.resources_of(ENV, "AWS::Lambda::Function")
    assert sorted(f for f, r in functions.items() if "VpcConfig" in r["Properties"]) == IN_THE_VPC
    assert sorted(set(functions) - set(IN_THE_VPC)) == ["OriginRotationFunction"]
    assert properties("OriginVerifySecretRotation")["RotateImmediatelyOnUpdate"] is True
    assert properties("CursorSigningSecretRotation")["RotateImmediatelyOnUpdate"] is False


@pytest.mark.parametrize("function", IN_THE_VPC)
def test_every_function_runs_in_the_private_subnets_behind_a_closed_security_group(function):
    assert properties(function)["VpcConfig"] == {
        "SubnetIds": {"Ref": "PrivateSubnets"},
        "SecurityGroupIds": [{"Fn::GetAtt": ["PrivateFunctionsSecurityGroup", "GroupId"]}],
    }
    group = properties("PrivateFunctionsSecurityGroup")
    assert "SecurityGroupIngress" not in group
    # S3, DynamoDB and the interface endpoints (tests/infra/test_network.py checks where).
    assert [
        (r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in group["SecurityGroupEgress"]
    ] == [("tcp", 443, 443)] * 3
    assert group["VpcId"] == {"Ref": "VpcId"}
    # Its role may manage network interfaces (only), and has that before the function exists.
    (policy,) = [
        logical_id
        for logical_id, resource in support.resources_of(ENV, "AWS::IAM::ManagedPolicy").items()
        if resource["Properties"]["Roles"]
        == [{"Ref": properties(function)["Role"]["Fn::GetAtt"][0]}]
    ]
    assert RESOURCES[function]["DependsOn"] == policy
    document = properties(policy)["PolicyDocument"]
    by_sid = {s["Sid"]: s for s in document["Statement"] if isinstance(s, dict) and "Sid" in s}
    interfaces = by_sid["NetworkInterfacesInThePrivateSubnets"]
    assert set(interfaces["Action"]) == {
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }
    assert all(
        r["Fn::Sub"].startswith("arn:${AWS::Partition}:ec2:") for r in interfaces["Resource"]
    )


def test_the_environment_stack_hands_in_the_imported_vpc_and_private_subnets():
    # The environment imports its VPC (addons/network/vpc.yml): Copilot makes no VPC or
    # PrivateSubnet<n>; the network stack writes these two settings.
    given = support.load_yaml_cfn(support.ENVIRONMENT_ADDONS / "addons.parameters.yml")[
        "Parameters"
    ]
    setting = "{{{{resolve:ssm:/${{AppName}}/${{EnvironmentName}}/network/{}}}}}"
    assert given["VpcId"] == {"Fn::Sub": setting.format("vpc-id")}
    assert given["PrivateSubnets"] == {"Fn::Sub": setting.format("private-subnets")}
    network = support.templates.network_template()["Resources"]
    written = {
        str(r["Properties"]["Name"].get("Fn::Sub"))
        for r in network.values()
        if r["Type"] == "AWS::SSM::Parameter"
    }
    assert {"/${App}/${Env}/network/vpc-id", "/${App}/${Env}/network/private-subnets"} <= written
    assert ENV["Parameters"]["PrivateSubnets"]["Type"] == "List<AWS::EC2::Subnet::Id>"


# -- least privilege -----------------------------------------------------------------------

DYNAMODB_CALLS = {
    "get_item": "dynamodb:GetItem",
    "put_item": "dynamodb:PutItem",
    "query": "dynamodb:Query",
    "delete_item": "dynamodb:DeleteItem",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "update_item": "dynamodb:UpdateItem",
    "scan": "dynamodb:Scan",
}
# TransactWriteItems is authorised item by item: the purge deletes a membership and updates a count.
TRANSACTION_ACTIONS = {"dynamodb:DeleteItem", "dynamodb:UpdateItem"}
STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}


def dynamodb_calls(function: str) -> set[str]:
    folder = handler_path(function).parent
    found = set()
    for path in folder.glob("*.py"):
        found |= set(re.findall(r"self\.dynamodb\.(\w+)\(", path.read_text()))
    actions = {DYNAMODB_CALLS[call] for call in found if call != "transact_write_items"}
    return actions | (TRANSACTION_ACTIONS if "transact_write_items" in found else set())


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_role_is_its_functions_own_and_trusted_by_lambda_only(function):
    role = RESOURCES[ROLES[function]]
    assert properties(function)["Role"] == {"Fn::GetAtt": [ROLES[function], "Arn"]}
    assert properties(POLICIES[function])["Roles"] == [{"Ref": ROLES[function]}]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


@pytest.mark.parametrize(
    "function,actions_by_keys",
    [
        (
            "PurgeFunction",
            {
                "WS#*": {
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:UpdateItem",
                },
                # The owned count of an owner whose membership goes (the product limit).
                "USER#*": {"dynamodb:UpdateItem"},
            },
        ),
        (
            "ArchiveFunction",
            {"ARCHIVE#*": {"dynamodb:GetItem", "dynamodb:PutItem"}},
        ),
        (
            "NotifierFunction",
            {
                # A workspace's items (reads; a deleted task's comments, withdrawn invitations),
                # notifications, digest marks, preferences, an address's invitation copies.
                ("WS#*", "NOTIFY#*", "DIGEST#*", "USER#*", "INVITEE#*"): {
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                },
            },
        ),
        (
            "TaskIndexFunction",
            {
                "WS#*": {
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                },
            },
        ),
    ],
)
def test_each_role_gets_the_table_actions_its_code_calls_on_its_own_keys_only(
    function, actions_by_keys
):
    by_sid = statements(function)
    table = [s for s in by_sid.values() if s["Resource"] == {"Fn::GetAtt": ["TasksTable", "Arn"]}]
    granted = {}
    for items in table:
        condition = items["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        leading_keys = condition[0] if len(condition) == 1 else tuple(condition)
        granted[leading_keys] = set(listed(items["Action"]))
    assert granted == {
        keys: actions & dynamodb_calls(function) for keys, actions in actions_by_keys.items()
    }
    assert set().union(*granted.values()) == dynamodb_calls(function)
    assert all("dynamodb:Scan" not in actions for actions in granted.values())
    stream = by_sid["ReadTheTablesStream"]
    assert set(stream["Action"]) == STREAM_ACTIONS
    assert stream["Resource"] == {"Fn::Sub": "${TasksTable.Arn}/stream/*"}
    assert by_sid["ListStreams"]["Action"] == ["dynamodb:ListStreams"]
    # No statement grants a DynamoDB action on anything else, but the purge's Query of the one
    # index it reads (a member's tasks in a workspace), on its own keys.
    indexes = [s for s in by_sid.values() if "/index/" in json.dumps(s["Resource"])]
    if function == "PurgeFunction":
        (index,) = indexes
        assert index["Resource"] == {"Fn::Sub": "${TasksTable.Arn}/index/" + keys.BY_ASSIGNEE}
        assert listed(index["Action"]) == ["dynamodb:Query"]
        leading = index["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert leading == ["WS#*"] and keys.assignee_key("X", "U").startswith("WS#")
    else:
        assert indexes == []
    for statement in by_sid.values():
        if any(a.startswith("dynamodb:") for a in listed(statement["Action"])):
            assert statement in (*table, *indexes, stream, by_sid["ListStreams"])


def test_the_purge_keys_never_reach_the_audit_events_or_the_archive_heads():
    assert not keys.audit_pk("X").startswith("WS#")
    assert keys.workspace_pk("X").startswith("WS#")


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_role_uses_the_keys_through_their_services_only(function):
    for statement in statements(function).values():
        if not any(a.startswith("kms:") for a in listed(statement["Action"])):
            continue
        services = listed(statement["Condition"]["StringEquals"]["kms:ViaService"])
        allowed = {"dynamodb", "sqs", "s3"}
        if function == "NotifierFunction":
            allowed.add("secretsmanager")  # the unsubscribe secret
        assert {service["Fn::Sub"].split(".")[0] for service in services} <= allowed
        assert statement["Resource"] in (
            {"Fn::GetAtt": ["DataKey", "Arn"]},
            {"Fn::GetAtt": ["StreamKey", "Arn"]},
        )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_data_keys_policy_names_each_role_for_dynamodb_only(function):
    role_name = resolved(properties(ROLES[function])["RoleName"])
    policy = resolved(properties("DataKey")["KeyPolicy"], CloudFrontDistributionId="E2EXAMPLE")
    named = [
        s
        for s in policy["Statement"]
        if f"arn:aws:iam::111122223333:role/{role_name}"
        in listed(s.get("Condition", {}).get("ArnEquals", {}).get("aws:PrincipalArn"))
    ]
    expected = {"dynamodb.eu-west-1.amazonaws.com"}
    if function == "NotifierFunction":
        # It also reads the unsubscribe secret, which the data key encrypts.
        expected.add("secretsmanager.eu-west-1.amazonaws.com")
    assert {s["Condition"]["StringEquals"]["kms:ViaService"] for s in named} == expected
    assert all(s["Action"] == ["kms:Decrypt"] for s in named)


def test_the_archive_writes_its_prefix_only_and_encrypts_for_its_bucket_only():
    by_sid = statements("ArchiveFunction")
    write = by_sid["WriteAndReadTheArchive"]
    assert set(write["Action"]) == {"s3:PutObject", "s3:GetObject"}
    assert write["Resource"] == {"Fn::Sub": "${AuditArchiveBucket.Arn}/audit/*"}
    listing = by_sid["FindAChainsNewestObject"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["audit/*"]}}
    encrypt = by_sid["EncryptTheArchiveThroughS3"]
    assert encrypt["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"] == {
        "Fn::GetAtt": ["AuditArchiveBucket", "Arn"]
    }
    assert "s3:" not in json.dumps(statements("PurgeFunction"))


# -- the archive bucket --------------------------------------------------------------------


@pytest.mark.parametrize(
    "env,retention",
    [
        ("prod", {"Mode": "COMPLIANCE", "Years": "7"}),
        ("staging", {"Mode": "GOVERNANCE", "Days": "30"}),
        ("dev", {"Mode": "GOVERNANCE", "Days": "30"}),
    ],
)
def test_the_archive_is_object_locked_compliance_in_prod_governance_elsewhere(env, retention):
    bucket = resolved(properties("AuditArchiveBucket"), env)
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": retention},
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": "getatt:StreamKey.Arn",
    }
    assert all(bucket["PublicAccessBlockConfiguration"].values())


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_only_the_archive_function_writes_and_in_prod_nothing_is_deleted(env):
    policy = resolved(properties("AuditArchiveBucketPolicy")["PolicyDocument"], env)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    writers = by_sid["OnlyTheArchiveFunctionWrites"]
    role = resolved(properties("ArchiveRole")["RoleName"], env)
    assert (writers["Effect"], writers["Action"]) == ("Deny", "s3:PutObject")
    assert writers["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::111122223333:role/{role}"}
    }
    assert ("NothingIsDeletedInProduction" in by_sid) is (env == "prod")


def test_the_stream_key_rotates_and_is_kept_outside_dev():
    key = RESOURCES["StreamKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert resolved(key["DeletionPolicy"], "prod") == "Retain"
    assert resolved(key["DeletionPolicy"], "dev") == "Delete"


# -- what Copilot uploads ------------------------------------------------------------------


def copilot_zip(folder: Path, destination: Path) -> Path:
    """The function's code as Copilot packages it: every file of the folder, paths relative
    to it (internal/pkg/addon/package.go walks the folder and zips what it finds)."""
    archive = destination / f"{folder.name}.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(folder))
    return archive


def imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_zip_copilot_uploads_needs_only_the_runtime_and_the_powertools_layer(
    function, tmp_path
):
    folder = support.ROOT / properties(function)["Code"]
    extracted = tmp_path / "task"
    with zipfile.ZipFile(copilot_zip(folder, tmp_path)) as zipped:
        zipped.extractall(extracted)
    sources = {p.stem: p.read_text() for p in extracted.glob("*.py")}
    own = set(sources)
    for name, source in sources.items():
        outside = imported_modules(source) - own - set(sys.stdlib_module_names) - RUNTIME_PACKAGES
        assert outside == set(), f"{name}.py imports {outside}, which the function would not have"
    # And it imports as the runtime imports it: from the task folder, nothing of the repository.
    module, name = properties(function)["Handler"].split(".")
    check = f"import sys; sys.path.insert(0, {str(extracted)!r}); import {module}; {module}.{name}"
    result = subprocess.run(
        [sys.executable, "-I", "-c", check],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"AWS_DEFAULT_REGION": "eu-west-1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
