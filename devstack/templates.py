"""Reading the addon templates the way Copilot does: CloudFormation YAML with its short-form
tags, every file of a folder merged into one template, outputs named by Copilot's rule."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT_ADDONS = ROOT / "addons" / "environment"
SERVICE_ADDONS = ROOT / "addons" / "api"
# Plain CloudFormation stacks deployed beside Copilot's (docs/deploy.md): the VPC each environment
# imports, and the ECR pull-through cache rule of an account's region.
NETWORK_TEMPLATE = ROOT / "addons" / "network" / "vpc.yml"
REGISTRY_TEMPLATE = ROOT / "addons" / "network" / "registry.yml"

# Copilot keeps only these sections of an addon template; the rest (Description, Rules,
# AWSTemplateFormatVersion) is dropped when it merges the files.
MERGED_SECTIONS = (
    "Metadata",
    "Parameters",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
)
PARAMETERS_FILE_NAMES = ("addons.parameters.yml", "addons.parameters.yaml")


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that turns !Ref X into {"Ref": X} and !Fn into {"Fn::Fn": ...}."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return yaml.load(handle, Loader=_CloudFormationLoader) or {}  # noqa: S506 -- SafeLoader subclass  # nosec B506


def template_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix in (".yml", ".yaml") and p.name not in PARAMETERS_FILE_NAMES
    )


def merged(folder: Path) -> dict[str, Any]:
    """All templates of an addons folder as the one nested stack Copilot would deploy."""
    result: dict[str, Any] = {}
    for path in template_files(folder):
        template = load(path)
        for section in MERGED_SECTIONS:
            if section == "Transform":
                # A name or a list of names; Copilot keeps each distinct one once.
                names = template.get(section) or []
                for name in [names] if isinstance(names, str) else names:
                    if name not in result.setdefault(section, []):
                        result[section].append(name)
                continue
            for name, body in (template.get(section) or {}).items():
                existing = result.setdefault(section, {}).get(name)
                if existing is not None and existing != body and section != "Parameters":
                    raise ValueError(f"{path.name}: {section}.{name} differs from another file")
                result[section][name] = body
    return result


_BOUNDARIES = (
    re.compile(r"([a-z0-9])([A-Z])"),  # fooBar -> foo_Bar, my2ndX -> my2nd_X
    re.compile(r"([A-Z]+)([A-Z][a-z])"),  # DDBTable -> DDB_Table
)


def copilot_variable_name(output_name: str) -> str:
    """Copilot's ToSnakeCaseFunc: the environment variable an addon output becomes."""
    name = output_name
    for pattern in _BOUNDARIES:
        name = pattern.sub(r"\1_\2", name)
    return name.upper()


# -- AWS::LanguageExtensions: Fn::ForEach ----------------------------------------------------

_FOR_EACH = "Fn::ForEach::"


def expand_for_each(template: dict[str, Any]) -> dict[str, Any]:
    """The template with every Fn::ForEach loop of its Resources and Outputs unrolled, as the
    AWS::LanguageExtensions transform does: in the loop's body, ${Id} and &{Id} (the value with
    its non-alphanumeric characters dropped) are replaced in keys and Fn::Sub strings, and
    {"Ref": Id} becomes the value. Other sections are left as they are."""
    result = dict(template)
    for section in ("Resources", "Outputs"):
        if section in template:
            result[section] = _unrolled(template[section])
    return result


def _unrolled(section: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, body in section.items():
        if not key.startswith(_FOR_EACH):
            out[key] = body
            continue
        identifier, values, fragment = body
        for value in values:
            for name, item in _unrolled(_substituted(fragment, identifier, value)).items():
                if name in out:
                    raise ValueError(f"{key}: {name} is declared twice")
                out[name] = item
    return out


def _substituted(node: Any, identifier: str, value: str) -> Any:
    def text(s: str) -> str:
        compact = re.sub(r"[^A-Za-z0-9]", "", value)
        return s.replace("${" + identifier + "}", value).replace("&{" + identifier + "}", compact)

    if isinstance(node, list):
        return [_substituted(v, identifier, value) for v in node]
    if not isinstance(node, dict):
        return node
    if node == {"Ref": identifier}:
        return value
    out: dict[str, Any] = {}
    for key, item in node.items():
        if key == "Fn::Sub":
            if isinstance(item, str):
                out[key] = text(item)
            else:
                out[key] = [text(item[0]), _substituted(item[1], identifier, value)]
        else:
            out[text(key)] = _substituted(item, identifier, value)
    return out


def network_template() -> dict[str, Any]:
    """addons/network/vpc.yml as CloudFormation deploys it (its loops unrolled)."""
    return expand_for_each(load(NETWORK_TEMPLATE))
