"""Enough of IAM's policy evaluation to ask whether a role may make a call: Allow and Deny,
Action/NotAction and Resource/NotResource with wildcards, Principal for resource policies, and
the condition operators the templates use (String*, Arn*, Bool, Null, with IfExists and the
ForAnyValue/ForAllValues set operators). A key missing from the request matches no positive
operator and every negated one, as in IAM.

    request = Request("s3:PutBucketAcl", "arn:aws:s3:::bucket", principal=role_arn)
    allowed(identity_statements, request)                   # an identity policy allows it
    denied(resource_policy_statements, request)             # a resource policy denies it

Statements are resolved ones (no intrinsics): tests/infra/aws_rules/concrete.py resolves them."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    principal: str = ""  # the caller's ARN, for Principal and aws:PrincipalArn
    context: Mapping[str, Any] = field(default_factory=dict)  # other condition keys

    def key(self, name: str) -> Any:
        if name == "aws:PrincipalArn" and self.principal and name not in self.context:
            return self.principal
        for key, value in self.context.items():
            if key.lower() == name.lower():
                return value
        return None


def statements_of(document: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> list[dict]:
    if isinstance(document, Mapping):
        found = document.get("Statement", [])
        return [found] if isinstance(found, Mapping) else list(found)
    return [s for d in document for s in statements_of(d)]


def allowed(document: Any, request: Request) -> bool:
    """An Allow matches and no Deny does (one policy, or a list of policies together)."""
    matching = [s for s in statements_of(document) if _applies(s, request)]
    return any(s["Effect"] == "Allow" for s in matching) and not any(
        s["Effect"] == "Deny" for s in matching
    )


def denied(document: Any, request: Request) -> bool:
    """A Deny statement matches."""
    return any(s["Effect"] == "Deny" and _applies(s, request) for s in statements_of(document))


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        actions = _listed(statement["Action"])
        if not any(_wildcard(a, request.action, case=False) for a in actions):
            return False
    elif not all(
        not _wildcard(a, request.action, case=False) for a in _listed(statement["NotAction"])
    ):
        return False
    if "Resource" in statement:
        if not any(_wildcard(r, request.resource) for r in _listed(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(
        _wildcard(r, request.resource) for r in _listed(statement["NotResource"])
    ):
        return False
    if "Principal" in statement and not _principal_matches(statement["Principal"], request):
        return False
    return all(
        _condition(operator, key, expected, request)
        for operator, block in (statement.get("Condition") or {}).items()
        for key, expected in block.items()
    )


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    for kind, values in principal.items():
        for value in _listed(values):
            if value == "*" or value == request.principal:
                return True
            if kind == "AWS" and value.endswith(":root") and request.principal:
                account = value.split(":")[4]
                if request.principal.split(":")[4] == account:
                    return True
    return False


def _condition(operator: str, key: str, expected: Any, request: Request) -> bool:
    actual = request.key(key)
    set_operator = ""
    if ":" in operator:
        set_operator, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    if operator == "Null":
        return (actual is None) == (str(expected).lower() == "true")
    negated = "Not" in operator
    if actual is None:
        return if_exists or negated
    values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(actual)]
    wanted = [str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(expected)]
    base = operator.replace("Not", "")

    def one(value: str) -> bool:
        if base in ("StringEquals", "ArnEquals", "Bool"):
            return value in wanted
        if base == "StringEqualsIgnoreCase":
            return value.lower() in {w.lower() for w in wanted}
        if base in ("StringLike", "ArnLike"):
            return any(_wildcard(w, value) for w in wanted)
        raise NotImplementedError(f"condition operator {operator}")

    if set_operator == "ForAllValues":
        matched = all(one(v) for v in values)
    else:
        matched = any(one(v) for v in values)
    return not matched if negated else matched
