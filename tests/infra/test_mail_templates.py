"""The notifier's and the environment's email templates (addons/environment/stream-notify.yml,
mail.yml), read as Copilot merges them and evaluated per environment: what hands the notifier
its work (the stream's filter, the digest's schedule, SES's events), how it may send (the SES
identity and configuration set, SendEmail pinned to the environment's sender), the unsubscribe
secret and who reads it, the alarms, and the names AWS limits. What the generic checks of
test_stream_templates.py (delivery care, roles, network, the zip) cover is not repeated here."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import pytest

from tests.infra import support

ENV = support.merged(support.ENVIRONMENT_ADDONS)
SERVICE = support.merged(support.SERVICE_ADDONS)
RESOURCES = ENV["Resources"]
# A feature environment's longest name (ops/feature_env.py: 12 characters after feat-).
LONGEST_FEATURE_ENV = "feat-abcdefghijkl"
NAMED_ENVIRONMENTS = (*support.ENVIRONMENTS, LONGEST_FEATURE_ENV)


def resolved(value: Any, env: str = "prod", **parameters: str) -> Any:
    return support.resolver(ENV, env, AppDomain="teamtasks.example.com", **parameters).resolve(
        value
    )


def properties(logical_id: str) -> dict[str, Any]:
    return RESOURCES[logical_id]["Properties"]


def notifier_module(name: str = "notifier") -> Any:
    folder = str(support.ROOT / "lambdas" / "notifier")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


# -- what hands the notifier its work --------------------------------------------------------


def test_the_stream_hands_in_exactly_the_audit_events_the_code_handles():
    (filter_,) = properties("NotifierEventSourceMapping")["FilterCriteria"]["Filters"]
    pattern = json.loads(filter_["Pattern"])
    assert pattern == {
        "eventName": ["INSERT"],
        "dynamodb": {
            "Keys": {"PK": {"S": [{"prefix": "AUDIT#"}]}},
            "NewImage": {"action": {"S": list(notifier_module().NOTIFYING_ACTIONS)}},
        },
    }
    # Within seconds: at most one second of batching.
    assert properties("NotifierEventSourceMapping")["MaximumBatchingWindowInSeconds"] <= 1


def test_the_digest_runs_at_0800_utc_and_its_role_may_only_invoke_the_notifier():
    schedule = properties("DailyDigestSchedule")
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 8 * * ? *)",
        "UTC",
    )
    assert notifier_module().DIGEST_HOUR_UTC == 8
    target = schedule["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["NotifierFunction", "Arn"]}
    assert json.loads(target["Input"]) == {"digest": "daily"}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}}
    role = properties("DigestScheduleRole")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (policy,) = role["Policies"]
    by_sid = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert by_sid["InvokeTheNotifier"]["Action"] == "lambda:InvokeFunction"
    assert by_sid["InvokeTheNotifier"]["Resource"] == {"Fn::GetAtt": ["NotifierFunction", "Arn"]}
    assert by_sid["UndeliveredToTheDeadLetterQueue"]["Resource"] == {
        "Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]
    }


def test_asynchronous_invocations_retry_twice_then_go_to_the_dead_letter_queue():
    config = properties("NotifierAsyncConfig")
    assert (config["FunctionName"], config["Qualifier"]) == ({"Ref": "NotifierFunction"}, "$LATEST")
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}}
    }
    # The digest stops before the function's timeout, so the retry carries on.
    timeout_ms = properties("NotifierFunction")["Timeout"] * 1000
    assert timeout_ms > notifier_module().DEADLINE_MARGIN_MS


def test_ses_bounces_and_complaints_of_this_environments_mail_reach_the_notifier():
    rule = properties("MailEventsRule")
    assert rule["EventPattern"] == {
        "source": ["aws.ses"],
        "detail-type": ["Email Bounced", "Email Complaint Received"],
        "detail": {"mail": {"tags": {"ses:configuration-set": [{"Ref": "MailConfigurationSet"}]}}},
    }
    assert rule["Targets"] == [
        {"Id": "notifier", "Arn": {"Fn::GetAtt": ["NotifierFunction", "Arn"]}}
    ]
    permission = properties("MailEventsPermission")
    assert (permission["Principal"], permission["SourceArn"]) == (
        "events.amazonaws.com",
        {"Fn::GetAtt": ["MailEventsRule", "Arn"]},
    )
    destination = properties("MailEvents")["EventDestination"]
    assert sorted(destination["MatchingEventTypes"]) == ["BOUNCE", "COMPLAINT"]
    assert resolved(destination["EventBridgeDestination"]["EventBusArn"]) == (
        "arn:aws:events:eu-west-1:111122223333:event-bus/default"
    )


# -- sending -----------------------------------------------------------------------------------


def test_the_configuration_set_suppresses_bounces_and_complaints_and_requires_tls():
    config = properties("MailConfigurationSet")
    assert sorted(config["SuppressionOptions"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]
    assert config["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}
    assert config["ReputationOptions"] == {"ReputationMetricsEnabled": True}
    # No open or click tracking: nothing in the emails phones home.
    assert "TrackingOptions" not in config


@pytest.mark.parametrize("env", NAMED_ENVIRONMENTS)
def test_each_environment_but_a_feature_one_has_a_domain_identity_with_dkim(env):
    identity = RESOURCES["MailIdentity"]
    owns = support.resolver(ENV, env).condition(identity["Condition"])
    assert owns is (not env.startswith("feat-"))
    p = resolved(properties("MailIdentity"), env)
    assert p["EmailIdentity"] == "teamtasks.example.com"
    assert p["DkimAttributes"] == {"SigningEnabled": True}
    assert p["DkimSigningAttributes"] == {"NextSigningKeyLength": "RSA_2048_BIT"}
    assert p["MailFromAttributes"]["MailFromDomain"] == "bounce.teamtasks.example.com"
    retained = resolved(identity["DeletionPolicy"], env)
    assert retained == ("Delete" if env == "dev" or env.startswith("feat-") else "Retain")


def test_the_notifier_sends_only_as_the_environments_sender_with_its_configuration_set():
    variables = resolved(properties("NotifierFunction")["Environment"]["Variables"])
    assert variables["MAIL_FROM"] == "Team Tasks <notifications@teamtasks.example.com>"
    assert variables["APP_BASE_URL"] == "https://teamtasks.example.com"
    document = resolved(properties("NotifierPolicy")["PolicyDocument"])
    (send,) = [s for s in document["Statement"] if "ses:SendEmail" in json.dumps(s["Action"])]
    assert send["Action"] == ["ses:SendEmail"]
    assert send["Resource"] == [
        "arn:aws:ses:eu-west-1:111122223333:identity/*",
        "arn:aws:ses:eu-west-1:111122223333:configuration-set/ref:MailConfigurationSet",
    ]
    address = notifier_module("emails").address_of(variables["MAIL_FROM"])
    assert send["Condition"] == {"StringEquals": {"ses:FromAddress": address}}
    # Nothing else of SES.
    assert [s for s in document["Statement"] if "ses:" in json.dumps(s["Action"])] == [send]


def test_the_sesv2_api_is_reached_through_an_interface_endpoint_of_the_network():
    """SES's API has interface endpoints since December 2025 (com.amazonaws.<region>.email); the
    functions' security group lets out only to the endpoints, so without it no email leaves."""
    endpoint = support.templates.network_template()["Resources"]["emailEndpoint"]["Properties"]
    assert endpoint["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.email"}
    assert (endpoint["VpcEndpointType"], endpoint["PrivateDnsEnabled"]) == ("Interface", True)


# -- the unsubscribe secret ---------------------------------------------------------------------


def test_the_unsubscribe_secret_is_read_by_the_service_and_the_notifier_only_in_the_network():
    secret = properties("UnsubscribeSigningSecret")
    assert secret["KmsKeyId"] == {"Ref": "DataKey"}
    assert "UnsubscribeSigningSecret" not in json.dumps(
        support.resources_of(ENV, "AWS::SecretsManager::RotationSchedule")
    )
    (deny,) = properties("UnsubscribeSigningSecretPolicy")["ResourcePolicy"]["Statement"]
    assert deny["Effect"] == "Deny" and "aws:SourceVpce" in deny["Condition"]["StringNotEquals"]
    by_sid = {s["Sid"]: s for s in properties("NotifierPolicy")["PolicyDocument"]["Statement"]}
    assert by_sid["SignUnsubscribeLinks"]["Resource"] == {"Ref": "UnsubscribeSigningSecret"}
    task = {
        s["Sid"]: s
        for s in SERVICE["Resources"]["TaskPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    }
    assert task["UnsubscribeSigningKey"]["Action"] == ["secretsmanager:GetSecretValue"]
    exported = ENV["Outputs"]["UnsubscribeSecretArn"]["Export"]["Name"]
    assert task["UnsubscribeSigningKey"]["Resource"] == [{"Fn::ImportValue": exported}]
    assert SERVICE["Outputs"]["UnsubscribeSecretArn"]["Value"] == {"Fn::ImportValue": exported}


# -- alarms -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alarm,metric,threshold",
    [
        ("MailBounceRateAlarm", "Reputation.BounceRate", 0.04),
        ("MailComplaintRateAlarm", "Reputation.ComplaintRate", 0.0008),
    ],
)
def test_the_sending_reputation_is_watched_below_what_ses_reviews(alarm, metric, threshold):
    parameter = alarm.replace("Alarm", "Threshold")
    p = properties(alarm)
    assert (p["Namespace"], p["MetricName"]) == ("AWS/SES", metric)
    assert p["Dimensions"] == [
        {"Name": "ses:configuration-set", "Value": {"Ref": "MailConfigurationSet"}}
    ]
    assert p["Threshold"] == {"Ref": parameter}
    assert ENV["Parameters"][parameter]["Default"] == threshold
    assert p["AlarmActions"] == [{"Ref": "AlarmTopic"}]


# -- names AWS limits, at every environment's concrete values ------------------------------------

LIMITS = {
    # (resource, property): the longest name AWS takes
    ("NotifierFunction", "FunctionName"): 64,
    ("NotifierRole", "RoleName"): 64,
    ("DigestScheduleRole", "RoleName"): 64,
    ("DailyDigestSchedule", "Name"): 64,
    ("MailEventsRule", "Name"): 64,
    ("MailConfigurationSet", "Name"): 64,
    ("UnsubscribeSigningSecret", "Name"): 512,
    ("NotifierLogGroup", "LogGroupName"): 512,
}


@pytest.mark.parametrize("env", NAMED_ENVIRONMENTS)
@pytest.mark.parametrize("named", list(LIMITS), ids=".".join)
def test_new_names_fit_aws_limits_in_every_environment(env, named):
    logical_id, prop = named
    name = resolved(properties(logical_id)[prop], env)
    assert len(name) <= LIMITS[named], name
    if prop in ("Name",) and logical_id == "MailConfigurationSet":
        assert all(c.isalnum() or c in "-_" for c in name)
