"""What only a transform makes legal in a template. CloudFormation refuses, at deploy time, a
template that uses these without declaring the transform, and cfn-lint does not always say so
(an intrinsic in DeletionPolicy passes it).

- AWS::LanguageExtensions: an intrinsic function in DeletionPolicy or UpdateReplacePolicy,
  Fn::ForEach loops, Fn::Length, Fn::ToJsonString, and intrinsics where CloudFormation otherwise
  takes only a literal (a resource's Condition, DependsOn);
- AWS::Serverless-2016-10-31: AWS::Serverless::* resources.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
SERVERLESS = "AWS::Serverless-2016-10-31"
_LANGUAGE_FUNCTIONS = ("Fn::Length", "Fn::ToJsonString")


def declared(template: Mapping[str, Any]) -> list[str]:
    value = template.get("Transform") or []
    return [value] if isinstance(value, str) else list(value)


def needed(template: Mapping[str, Any]) -> dict[str, list[str]]:
    """Transform -> the places in the template that need it."""
    found: dict[str, list[str]] = {}
    for section in ("Resources", "Outputs", "Conditions"):
        for key, body in (template.get(section) or {}).items():
            if key.startswith("Fn::ForEach::"):
                found.setdefault(LANGUAGE_EXTENSIONS, []).append(f"{section}.{key}")
                continue
            if section != "Resources" or not isinstance(body, dict):
                continue
            for attribute in ("DeletionPolicy", "UpdateReplacePolicy", "Condition"):
                if attribute in body and not isinstance(body[attribute], str):
                    found.setdefault(LANGUAGE_EXTENSIONS, []).append(f"{key}.{attribute}")
            depends = body.get("DependsOn")
            if depends is not None and not _literal_names(depends):
                found.setdefault(LANGUAGE_EXTENSIONS, []).append(f"{key}.DependsOn")
            if str(body.get("Type", "")).startswith("AWS::Serverless::"):
                found.setdefault(SERVERLESS, []).append(f"{key}.Type")
    for path, node in _walk(template):
        if isinstance(node, dict) and len(node) == 1 and next(iter(node)) in _LANGUAGE_FUNCTIONS:
            found.setdefault(LANGUAGE_EXTENSIONS, []).append(path)
    return found


def transform_problems(template: Mapping[str, Any], where: str = "template") -> list[str]:
    have = set(declared(template))
    return [
        f"{where}: {', '.join(places)} need{'s' if len(places) == 1 else ''} "
        f"Transform: {transform}, which the template does not declare"
        for transform, places in sorted(needed(template).items())
        if transform not in have
    ]


def _literal_names(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
