"""A security group with inline rules and separate AWS::EC2::SecurityGroupIngress/Egress
resources for the same direction: CloudFormation replaces the inline set when an update changes
it, which revokes the separate rules too (the resource reference's advice: one or the other per
group). Groups are matched across stacks by their logical id (a nested stack names its parent's
group through a parameter)."""

from __future__ import annotations

from collections import defaultdict

from tests.infra.aws_rules.quotas import Resource, _group_name

DIRECTIONS = {
    "AWS::EC2::SecurityGroupIngress": "SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress": "SecurityGroupEgress",
}


def mixed_rule_problems(resources: list[Resource]) -> list[str]:
    """`resources`: one environment's stacks (aws_rules.quotas.existing)."""
    inline: set[tuple[str, str]] = set()
    separate: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in resources:
        if r.type == "AWS::EC2::SecurityGroup":
            for direction in DIRECTIONS.values():
                if r.properties.get(direction):
                    inline.add((r.logical_id, direction))
        elif r.type in DIRECTIONS:
            group = _group_name(r.properties.get("GroupId"))
            separate[(group, DIRECTIONS[r.type])].append(f"{r.stack}/{r.logical_id}")
    return [
        f"{group} has inline {direction} and separate rules {', '.join(rules)}"
        for (group, direction), rules in sorted(separate.items())
        if (group, direction) in inline
    ]
