"""What AWS requires of a resource's properties beyond its schema, learnt from AWS's guides
where a deploy or the first use failed although the template was valid. Each rule takes a
resolved resource's properties and returns its problems."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from devstack.intrinsics import Unresolvable
from tests.infra.aws_rules.concrete import Concrete, resolver


def _repository_creation_template(properties: Mapping[str, Any]) -> list[str]:
    """ECR user guide, "Create an IAM role for repository creation templates": a template that
    applies resource tags or KMS encryption needs a custom role that ECR assumes to create the
    repository (CustomRoleArn); without it the first pull through the cache fails."""
    encryption = (properties.get("EncryptionConfiguration") or {}).get("EncryptionType")
    needs_role = bool(properties.get("ResourceTags")) or encryption in ("KMS", "KMS_DSSE")
    if needs_role and not properties.get("CustomRoleArn"):
        return ["applies resource tags or KMS encryption without a CustomRoleArn"]
    return []


RULES: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "AWS::ECR::RepositoryCreationTemplate": _repository_creation_template,
}


def requirement_problems(
    template: Mapping[str, Any], values: Concrete, where: str = ""
) -> list[str]:
    resolve = resolver(template, values)
    problems = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        rule = RULES.get(resource.get("Type", ""))
        if rule is None:
            continue
        try:
            if resource.get("Condition") and not resolve.condition(resource["Condition"]):
                continue
            properties = resolve.resolve(resource.get("Properties") or {})
        except Unresolvable as error:
            problems.append(f"{where} {logical_id}: cannot be resolved ({error})")
            continue
        problems.extend(f"{where} {logical_id}: {problem}" for problem in rule(properties))
    return problems
