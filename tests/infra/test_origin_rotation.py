"""The origin header secret's rotation (lambdas/secret_rotation/origin_header.py) in-process
against moto: a load balancer whose service rule checks the header, and a distribution that sends
it, as the patched stacks set them up. The property that matters: at every moment, and whatever
a deployment does in between (the stacks resolve AWSCURRENT for the distribution and AWSCURRENT
and AWSPREVIOUS for the rule), the value the distribution sends is one the rule accepts."""

from __future__ import annotations

import secrets
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.infra.aws_rules import Concrete, resolver
from tests.infra.aws_rules.policies import Request, allowed
from tests.infra.rendered import analysis, render
from tests.infra.test_rotation import REGION, Context, begin_rotation, load_function, value

HEADER = "X-Origin-Verify"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


class Environment:
    """The load balancer, its rules and the distribution, as the patched stacks make them."""

    def __init__(self, initial: str):
        session = boto3.session.Session(region_name=REGION)
        ec2, self.elb = session.client("ec2"), session.client("elbv2")
        self.cloudfront = session.client("cloudfront")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}"
            )["Subnet"]["SubnetId"]
            for i, z in ((0, "a"), (1, "b"))
        ]
        balancer = self.elb.create_load_balancer(Name="teamtasks-t", Subnets=subnets)[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        group = self.elb.create_target_group(
            Name="api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        forbidden = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "403"}}
        self.listener = self.elb.create_listener(
            LoadBalancerArn=balancer, Protocol="HTTP", Port=443, DefaultActions=[forbidden]
        )["Listeners"][0]["ListenerArn"]
        self.host = {"Field": "host-header", "HostHeaderConfig": {"Values": ["t.example.com"]}}
        self.path = {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api", "/api/*"]}}
        self.rule = self.elb.create_rule(
            ListenerArn=self.listener,
            Priority=1,
            Conditions=[self.host, self.path, self.header_condition([initial])],
            Actions=[{"Type": "forward", "TargetGroupArn": group}],
        )["Rules"][0]["RuleArn"]
        # A rule that does not check the header (another service, say) stays as it is.
        self.other = self.elb.create_rule(
            ListenerArn=self.listener, Priority=2, Conditions=[self.path], Actions=[forbidden]
        )["Rules"][0]["RuleArn"]
        self.distribution = self.cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": secrets.token_hex(8),
                "Comment": "",
                "Enabled": True,
                "DefaultCacheBehavior": {
                    "TargetOriginId": "alb",
                    "ViewerProtocolPolicy": "https-only",
                },
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "alb",
                            "DomainName": "alb.eu-west-1.elb.amazonaws.com",
                            "CustomHeaders": {
                                "Quantity": 1,
                                "Items": [{"HeaderName": HEADER, "HeaderValue": initial}],
                            },
                            "CustomOriginConfig": {
                                "HTTPPort": 80,
                                "HTTPSPort": 443,
                                "OriginProtocolPolicy": "https-only",
                            },
                        }
                    ],
                },
            }
        )["Distribution"]["Id"]

    @staticmethod
    def header_condition(values: list[str]) -> dict:
        return {
            "Field": "http-header",
            "HttpHeaderConfig": {"HttpHeaderName": HEADER, "Values": values},
        }

    def rules(self) -> dict[str, dict]:
        return {
            r["RuleArn"]: r for r in self.elb.describe_rules(ListenerArn=self.listener)["Rules"]
        }

    def accepted(self) -> set[str]:
        (condition,) = [
            c for c in self.rules()[self.rule]["Conditions"] if c["Field"] == "http-header"
        ]
        return set(condition["HttpHeaderConfig"]["Values"])

    def sent(self) -> str:
        config = self.cloudfront.get_distribution_config(Id=self.distribution)["DistributionConfig"]
        (header,) = config["Origins"]["Items"][0]["CustomHeaders"]["Items"]
        return header["HeaderValue"]

    # -- what a deployment does, with the values the stacks' dynamic references resolve --------

    def deploy_service(self, values: list[str]) -> None:
        self.elb.modify_rule(
            RuleArn=self.rule,
            Conditions=[self.host, self.path, self.header_condition(values)],
        )

    def deploy_environment(self, current: str) -> None:
        answer = self.cloudfront.get_distribution_config(Id=self.distribution)
        config = answer["DistributionConfig"]
        config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"] = current
        self.cloudfront.update_distribution(
            Id=self.distribution, IfMatch=answer["ETag"], DistributionConfig=config
        )


@pytest.fixture
def rotation(monkeypatch):
    module = load_function(monkeypatch, "origin_header", "origin-rotation")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        initial = "B" * 48
        arn = client.create_secret(Name="/teamtasks/t/origin-verify", SecretString=initial)["ARN"]
        environment = Environment(initial)
        monkeypatch.setenv("HEADER_NAME", HEADER)
        monkeypatch.setenv("HTTPS_LISTENER_ARN", environment.listener)
        monkeypatch.setenv("DISTRIBUTION_ID", environment.distribution)
        yield module, client, arn, environment


def stages_the_stacks_resolve() -> tuple[list[str], str]:
    """The secret's stages the patched stacks read: the rule's values, the distribution's."""
    deployment = render("prod")
    rule = deployment.stack("service").template["Resources"]["HTTPSListenerRule"]["Properties"]
    (check,) = [c for c in rule["Conditions"] if c["Field"] == "http-header"]
    environment = deployment.stack("environment").template["Resources"]
    origin = environment["CloudFrontDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]

    def stage(value: dict) -> str:
        return value["Fn::Sub"].rsplit("::", 1)[1].rstrip("}")

    return (
        [stage(v) for v in check["HttpHeaderConfig"]["Values"]],
        stage(origin["OriginCustomHeaders"][0]["HeaderValue"]),
    )


def step(module, name, arn, token):
    module.lambda_handler({"Step": name, "SecretId": arn, "ClientRequestToken": token}, Context())


def test_a_rotation_widens_the_rule_before_the_distribution_changes(rotation):
    module, client, arn, environment = rotation
    token = begin_rotation(client, arn)
    step(module, "createSecret", arn, token)
    old, new = value(client, arn, "AWSCURRENT"), value(client, arn, "AWSPENDING", VersionId=token)
    assert len(new) == 48 and new.isalnum() and new != old
    step(module, "setSecret", arn, token)
    assert environment.accepted() == {old, new} and environment.sent() == old
    step(module, "testSecret", arn, token)
    step(module, "finishSecret", arn, token)
    assert value(client, arn, "AWSCURRENT") == new and value(client, arn, "AWSPREVIOUS") == old
    assert environment.accepted() == {new, old} and environment.sent() == new
    fields = [c["Field"] for c in environment.rules()[environment.rule]["Conditions"]]
    assert fields == ["host-header", "path-pattern", "http-header"]
    other = environment.rules()[environment.other]["Conditions"]
    assert [c["Field"] for c in other] == ["path-pattern"]


def test_the_value_sent_is_accepted_whatever_deploys_in_between(rotation):
    """Deploy the service and the environment before and after every step (what a pipeline run
    during a rotation does): every value CloudFront may still be sending is one the rule accepts.
    A change of the distribution takes minutes to reach every edge, so from the rotation's start
    on, each value it has had stays in flight."""
    module, client, arn, environment = rotation
    rule_stages, distribution_stage = stages_the_stacks_resolve()

    def deploy(what: str) -> None:
        if what == "service":
            environment.deploy_service([value(client, arn, s) for s in rule_stages])
        else:
            environment.deploy_environment(value(client, arn, distribution_stage))

    in_flight: set[str] = set()

    def check(moment: str) -> None:
        in_flight.add(environment.sent())
        assert in_flight <= environment.accepted(), moment

    # A rotation has run before (at creation, as the template asks): AWSPREVIOUS exists, and
    # the edges have long had the distribution's value.
    client.put_secret_value(SecretId=arn, SecretString="C" * 48)
    deploy("service")
    deploy("environment")
    check("before")
    token = begin_rotation(client, arn)
    for name in [*STEPS, None]:
        for what in ("service", "environment"):
            deploy(what)
            check(f"{what} deployed before {name}")
            if name == "testSecret" and what == "service":
                # A service deployment just narrowed the rule: the test step says so, and
                # Secrets Manager's retry of setSecret widens it again.
                with pytest.raises(module.RotationError, match="does not accept both"):
                    step(module, name, arn, token)
                step(module, "setSecret", arn, token)
        if name is not None:
            step(module, name, arn, token)
            check(name)
    assert len(in_flight) == 2


def test_a_repeated_finish_brings_the_distribution_up_to_date(rotation):
    module, client, arn, environment = rotation
    token = begin_rotation(client, arn)
    for name in STEPS:
        step(module, name, arn, token)
    new = value(client, arn, "AWSCURRENT")
    environment.deploy_environment("B" * 48)  # the update after the move was lost
    step(module, "finishSecret", arn, token)
    assert environment.sent() == new


def test_before_the_first_service_there_is_nothing_to_update(rotation, monkeypatch):
    module, client, arn, _environment = rotation
    monkeypatch.setenv("HTTPS_LISTENER_ARN", "")
    monkeypatch.setenv("DISTRIBUTION_ID", "")
    token = begin_rotation(client, arn)
    for name in STEPS:
        step(module, name, arn, token)
    assert value(client, arn, "AWSPREVIOUS") == "B" * 48


def test_a_pending_value_that_is_not_well_formed_is_refused(rotation):
    module, client, arn, _environment = rotation
    token = begin_rotation(client, arn)
    client.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString="short", VersionStages=["AWSPENDING"]
    )
    with pytest.raises(module.RotationError, match="not well formed"):
        step(module, "setSecret", arn, token)


def test_the_stacks_use_the_header_the_function_rotates():
    deployment = render("prod")
    environment = deployment.stack("environment").template["Resources"]
    origin = environment["CloudFrontDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["Id"] == {"Fn::Sub": "copilot-${AppName}-${EnvironmentName}-origin"}
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == HEADER
    assert "origin-verify:SecretString::AWSCURRENT" in header["HeaderValue"]["Fn::Sub"]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    addons = deployment.stack("environment-addons").template["Resources"]
    function = addons["OriginRotationFunction"]["Properties"]["Environment"]["Variables"]
    assert function["HEADER_NAME"] == HEADER
    assert addons["OriginVerifySecretRotation"]["Properties"]["RotateImmediatelyOnUpdate"] is True
    rule = deployment.stack("service").template["Resources"]["HTTPSListenerRule"]["Properties"]
    (check,) = [c for c in rule["Conditions"] if c["Field"] == "http-header"]
    assert check["HttpHeaderConfig"]["HttpHeaderName"] == HEADER
    stages = [
        v["Fn::Sub"].rsplit("::", 1)[1].rstrip("}") for v in check["HttpHeaderConfig"]["Values"]
    ]
    assert stages == ["AWSCURRENT", "AWSPREVIOUS"]
    # An ALB rule takes five condition values at most.
    configs = [v for c in rule["Conditions"] for k, v in c.items() if k.endswith("Config")]
    assert sum(len(config["Values"]) for config in configs) <= 5
    for listener in ("HTTPSListener", "HTTPListener"):
        (action,) = environment[listener]["Properties"]["DefaultActions"]
        assert action["Type"] == "fixed-response"
        assert action["FixedResponseConfig"]["StatusCode"] == "403"


def test_a_finish_that_could_not_update_the_distribution_never_locks_the_api_out(
    rotation, monkeypatch
):
    """Issue 19.8: the rotation role could not update a distribution with standard logging (it
    lacked the log bucket's ACL permissions). finishSecret had already moved AWSCURRENT, so
    CloudFront kept sending the old value, and the next rotation's setSecret dropped it: every
    /api request answered 403. Now the next rotation resends the current value and stops,
    keeping what the rule accepts, until the distribution sends it everywhere."""
    module, client, arn, environment = rotation
    cloudfront = module.client("cloudfront")
    update = cloudfront.update_distribution

    def denied(**_):
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "s3:PutBucketAcl on the log bucket"}},
            "UpdateDistribution",
        )

    monkeypatch.setattr(cloudfront, "update_distribution", denied)
    old = "B" * 48
    token = begin_rotation(client, arn)
    for name in STEPS[:-1]:
        step(module, name, arn, token)
    with pytest.raises(ClientError, match="AccessDenied"):
        step(module, "finishSecret", arn, token)
    new = value(client, arn, "AWSCURRENT")
    assert environment.sent() == old and environment.accepted() == {new, old}

    # The next rotation, the update still refused: nothing CloudFront sends is dropped. (Its
    # createSecret stores the next value as AWSPENDING, as here.)
    token = str(uuid.uuid4())
    client.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString="D" * 48, VersionStages=["AWSPENDING"]
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        step(module, "setSecret", arn, token)
    assert environment.sent() in environment.accepted()

    # Allowed again: Secrets Manager's retries bring the distribution up to date, then rotate.
    monkeypatch.setattr(cloudfront, "update_distribution", update)
    with pytest.raises(module.RotationError, match="does not send the current value"):
        step(module, "setSecret", arn, token)
    assert environment.sent() == new and environment.sent() in environment.accepted()
    for name in STEPS[1:]:
        step(module, name, arn, token)
    newest = value(client, arn, "AWSCURRENT")
    assert environment.sent() == newest and environment.accepted() == {newest, new}


def test_the_rotation_role_may_update_a_distribution_that_logs():
    """Updating a distribution with standard logging needs the log bucket's ACL (CloudFront's
    developer guide, standard logging permissions): the role's policy allows exactly that, on
    the environment's log bucket, and reading the distribution's status."""
    deployment = render("prod")
    addons = deployment.stack("environment-addons")
    parameters = analysis.parameter_values(
        addons, deployment, lambda parent: analysis.resolver(parent, deployment)
    )
    listener = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/lb/1/2"
    values = Concrete(
        env="prod",
        region="eu-west-1",
        parameters={**parameters, "HTTPSListenerArn": listener, "CloudFrontDistributionId": "E1"},
    )
    template = addons.template
    policy = resolver(template, values).resolve(
        template["Resources"]["OriginRotationPolicy"]["Properties"]
    )
    document = policy["PolicyDocument"]
    bucket = "arn:aws:s3:::teamtasks-prod-logs-111122223333-eu-west-1"
    for action in ("s3:GetBucketAcl", "s3:PutBucketAcl"):
        assert allowed(document, Request(action, bucket))
        assert not allowed(document, Request(action, bucket.replace("-logs-", "-frontend-")))
    distribution = "arn:aws:cloudfront::111122223333:distribution/E1"
    for action in ("cloudfront:GetDistribution", "cloudfront:UpdateDistribution"):
        assert allowed(document, Request(action, distribution))
