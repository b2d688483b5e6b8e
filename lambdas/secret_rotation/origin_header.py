"""Rotation of the origin header secret (addons/environment/origin.yml): the value CloudFront adds
to every request it sends the load balancer, and without which the load balancer's listeners
answer 403 (the service's listener rules require it).

CloudFront's custom origin header is a single static value, and a distribution takes minutes to
deploy a change, so the load balancer must accept the old and the new value while it does:
- setSecret: every listener rule that checks the header accepts {AWSCURRENT, AWSPENDING};
- testSecret: they do;
- finishSecret: AWSPENDING becomes AWSCURRENT; the rules accept {new, old}; then the
  distribution sends the new value. The old one stays accepted until the next rotation, long
  after every edge location has the new configuration.
The rules drop a value only while the distribution sends AWSCURRENT and every edge has it
(status Deployed): if a finishSecret could not update the distribution (it stopped after the
move, an update failed), the next rotation's setSecret sends AWSCURRENT again and stops, keeping
the values the rules accept, instead of dropping the one CloudFront still sends (which would
answer 403 to every /api request); Secrets Manager tries the rotation again later.
The stacks resolve the same values at deploy time (the distribution sends AWSCURRENT, the rules
accept AWSCURRENT and AWSPREVIOUS), so a deployment between two rotations changes nothing, and
one during a rotation leaves a value that both sides still accept.

HEADER_NAME names the header; HTTPS_LISTENER_ARN and DISTRIBUTION_ID are empty until the
environment's first load-balanced service exists (then there is nothing to update).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from rotation import RotationError, Secret, rotate

__all__ = ["RotationError", "lambda_handler"]

logger = Logger()
tracer = Tracer()
metrics = Metrics()

_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    if service not in _clients:  # one client per execution environment, as Lambda advises
        _clients[service] = boto3.client(service, region_name=os.environ.get("AWS_REGION"))
    return _clients[service]


class OriginHeader(Secret):
    length = 48

    def __init__(self, logger: Any, *, header: str, listener_arn: str, distribution_id: str):
        super().__init__(logger)
        self.header = header.lower()
        self.listener_arn = listener_arn
        self.distribution_id = distribution_id

    # -- the load balancer ---------------------------------------------------------------------

    def _rules(self) -> list[dict[str, Any]]:
        """The listener's rules that check the header."""
        if not self.listener_arn:
            return []
        rules = []
        paginator = client("elbv2").get_paginator("describe_rules")
        for page in paginator.paginate(ListenerArn=self.listener_arn):
            for rule in page["Rules"]:
                if any(self._is_header(c) for c in rule.get("Conditions", [])):
                    rules.append(rule)
        return rules

    def _is_header(self, condition: dict[str, Any]) -> bool:
        config = condition.get("HttpHeaderConfig") or {}
        return (
            condition.get("Field") == "http-header"
            and config.get("HttpHeaderName", "").lower() == self.header
        )

    def _accept(self, values: list[str]) -> None:
        for rule in self._rules():
            conditions = []
            for condition in rule["Conditions"]:
                if self._is_header(condition):
                    name = condition["HttpHeaderConfig"]["HttpHeaderName"]
                    conditions.append(
                        {
                            "Field": "http-header",
                            "HttpHeaderConfig": {"HttpHeaderName": name, "Values": values},
                        }
                    )
                else:
                    # DescribeRules returns both the legacy Values and the *Config form; the
                    # API takes one of them.
                    conditions.append({k: v for k, v in condition.items() if k != "Values"})
            client("elbv2").modify_rule(RuleArn=rule["RuleArn"], Conditions=conditions)
            self.logger.info("listener rule accepts the values", extra={"rule": rule["RuleArn"]})

    def set(self, current: str, pending: str) -> None:
        sent, everywhere = self._sent()
        if sent is not None and (sent != current or not everywhere):
            self._send(current)
            raise RotationError(
                "the distribution does not send the current value everywhere yet (a previous "
                "rotation did not finish there, or its change is still deploying): the rules "
                "keep what they accept; rotate again once the distribution is Deployed"
            )
        self._accept([current, pending])

    def test(self, current: str, pending: str) -> None:
        for rule in self._rules():
            for condition in rule["Conditions"]:
                if self._is_header(condition):
                    accepted = set(condition["HttpHeaderConfig"]["Values"])
                    if not {current, pending} <= accepted:
                        raise RotationError(f"rule {rule['RuleArn']} does not accept both values")

    # -- the distribution ------------------------------------------------------------------------

    def _sent(self) -> tuple[str | None, bool]:
        """The value the distribution is configured to send (None without a distribution), and
        whether every edge location has that configuration."""
        if not self.distribution_id:
            return None, True
        distribution = client("cloudfront").get_distribution(Id=self.distribution_id)
        distribution = distribution["Distribution"]
        for origin in distribution["DistributionConfig"]["Origins"]["Items"]:
            for header in (origin.get("CustomHeaders") or {}).get("Items") or []:
                if header["HeaderName"].lower() == self.header:
                    return header["HeaderValue"], distribution["Status"] == "Deployed"
        return None, True

    def _send(self, value: str) -> None:
        if not self.distribution_id:
            return
        cloudfront = client("cloudfront")
        answer = cloudfront.get_distribution_config(Id=self.distribution_id)
        config = answer["DistributionConfig"]
        changed = False
        for origin in config["Origins"]["Items"]:
            for header in (origin.get("CustomHeaders") or {}).get("Items") or []:
                if header["HeaderName"].lower() == self.header and header["HeaderValue"] != value:
                    header["HeaderValue"] = value
                    changed = True
        if changed:
            cloudfront.update_distribution(
                Id=self.distribution_id, IfMatch=answer["ETag"], DistributionConfig=config
            )
            self.logger.info("the distribution sends the new value")

    def finish(self, current: str, previous: str | None) -> None:
        self._accept([current, previous] if previous and previous != current else [current])
        self._send(current)
        metrics.add_metric(name="OriginHeaderRotated", unit=MetricUnit.Count, value=1)


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, str], context: Any) -> None:
    secret = OriginHeader(
        logger,
        header=os.environ["HEADER_NAME"],
        listener_arn=os.environ.get("HTTPS_LISTENER_ARN", ""),
        distribution_id=os.environ.get("DISTRIBUTION_ID", ""),
    )
    rotate(secret, client("secretsmanager"), event)
