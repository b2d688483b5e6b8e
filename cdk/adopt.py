"""Moving an environment deployed by Copilot to the CDK app without losing its data or its users
(docs/deploy.md, "Adopting an environment deployed by Copilot"): what is kept is retained in
Copilot's stacks, Copilot's stacks are deleted, and the CDK stacks are created by importing what
was kept (CloudFormation resource import), then deployed.

    python -m cdk.adopt plan   --env prod --assembly cdk/cdk.out > adopt-prod.json
    python -m cdk.adopt retain --plan adopt-prod.json
    copilot svc delete --name api --env prod && copilot env delete --name prod
    python -m cdk.adopt import --plan adopt-prod.json --assembly cdk/cdk.out
    cd cdk && npx aws-cdk deploy 'prod/*'

KEPT lists what is kept, where it is in Copilot's stacks and where it goes in the CDK app's: the
data (table, user pool and its client, keys, secrets, archive, browser app bucket, backup vault,
the log groups that are kept today), the access-log bucket, the roles that keep their names
(CloudFormation's, the environment manager's, the service's task role), the service's log group.
The logical ids are the same on both sides. tests/infra/cdk/test_adoption.py holds KEPT to both
paths' templates and runs `retain` against the emulator.

The AWS calls use the ambient credentials and region (AWS_ENDPOINT_URL for an emulator)."""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from cdk.config import APP, SERVICE
from devstack import templates

# Copilot's stacks of an environment, by role: the environment (its root stack and the addons
# nested in it) and the service (the same).
COPILOT_ROOTS = {"environment": "{app}-{env}", "service": "{app}-{env}-" + SERVICE}
NESTED = "AddonsStack"
# The CDK app's stacks that import, in the order they are imported.
CDK_STACKS = {
    "deployment": "{app}-{env}-deployment",
    "environment": "{app}-{env}",
    "api": "{app}-{env}-" + SERVICE,
}


@dataclass(frozen=True)
class Kept:
    """One resource kept across the move: in Copilot's `copilot` stack, then the CDK app's
    `cdk` stack, under the same logical id."""

    logical_id: str
    kind: str
    copilot: str  # environment, environment-addons, service
    cdk: str  # deployment, environment, api
    why: str


_DATA = "the environment's data"
KEPT: tuple[Kept, ...] = (
    Kept("TasksTable", "AWS::DynamoDB::GlobalTable", "environment-addons", "environment", _DATA),
    Kept(
        "UserPool",
        "AWS::Cognito::UserPool",
        "environment-addons",
        "environment",
        "every user and their passwords",
    ),
    Kept(
        "UserPoolClient",
        "AWS::Cognito::UserPoolClient",
        "environment-addons",
        "environment",
        "the browser app's client: its refresh tokens keep everyone signed in",
    ),
    Kept(
        "DataKey",
        "AWS::KMS::Key",
        "environment-addons",
        "environment",
        "encrypts the table, the secrets, the logs and the backups",
    ),
    Kept(
        "FrontendKey",
        "AWS::KMS::Key",
        "environment-addons",
        "environment",
        "encrypts the browser app's bucket",
    ),
    Kept(
        "StreamKey",
        "AWS::KMS::Key",
        "environment-addons",
        "environment",
        "encrypts the stream functions' dead-letter queue",
    ),
    Kept(
        "CursorSigningSecret",
        "AWS::SecretsManager::Secret",
        "environment-addons",
        "environment",
        "signs the pagination cursors clients hold",
    ),
    Kept(
        "OriginVerifySecret",
        "AWS::SecretsManager::Secret",
        "environment-addons",
        "environment",
        "the header CloudFront sends and the load balancer's rule requires",
    ),
    Kept(
        "AuditArchiveBucket",
        "AWS::S3::Bucket",
        "environment-addons",
        "environment",
        "the audit archive under Object Lock",
    ),
    Kept(
        "FrontendBucket",
        "AWS::S3::Bucket",
        "environment-addons",
        "environment",
        "the browser app (its name is the frontend's)",
    ),
    Kept(
        "BackupVault",
        "AWS::Backup::BackupVault",
        "environment-addons",
        "environment",
        "the recovery points",
    ),
    Kept(
        "CursorRotationLogGroup",
        "AWS::Logs::LogGroup",
        "environment-addons",
        "environment",
        "the rotation's history",
    ),
    Kept(
        "OriginRotationLogGroup",
        "AWS::Logs::LogGroup",
        "environment-addons",
        "environment",
        "the rotation's history",
    ),
    Kept(
        "ArchiveLogGroup",
        "AWS::Logs::LogGroup",
        "environment-addons",
        "environment",
        "the archive function's history",
    ),
    Kept(
        "PurgeLogGroup",
        "AWS::Logs::LogGroup",
        "environment-addons",
        "environment",
        "the purge function's history",
    ),
    Kept(
        "WebAclLogGroup",
        "AWS::Logs::LogGroup",
        "environment-addons",
        "environment",
        "the regional web ACL's log",
    ),
    Kept(
        "AccessLogsBucket",
        "AWS::S3::Bucket",
        "environment",
        "environment",
        "a year of the distribution's and the bucket's access logs",
    ),
    Kept(
        "DisposableAccessLogsBucket",
        "AWS::S3::Bucket",
        "environment",
        "environment",
        "dev's and a feature environment's access logs",
    ),
    Kept(
        "CloudformationExecutionRole",
        "AWS::IAM::Role",
        "environment",
        "deployment",
        "the data key's policy names it",
    ),
    Kept(
        "EnvironmentManagerRole",
        "AWS::IAM::Role",
        "environment",
        "deployment",
        "the browser app's publisher, by name",
    ),
    Kept(
        "TaskRole",
        "AWS::IAM::Role",
        "service",
        "api",
        "the data key's policy names it; running tasks hold its credentials",
    ),
    Kept("LogGroup", "AWS::Logs::LogGroup", "service", "api", "the service's logs"),
)


def kept_in(env: str) -> tuple[Kept, ...]:
    """KEPT as the environment has it: one of the two access-log buckets."""
    from ops import environments  # noqa: PLC0415

    unmade = "AccessLogsBucket" if environments.is_disposable(env) else "DisposableAccessLogsBucket"
    return tuple(k for k in KEPT if k.logical_id != unmade)


class AdoptionError(RuntimeError):
    """A precondition of the move does not hold: the message says which and what to do."""


# -- import identifiers ----------------------------------------------------------------------------


def import_identifier(kept: Kept, physical_ids: dict[str, str]) -> dict[str, str]:
    """The ResourceIdentifier CloudFormation's import asks for (the type's primaryIdentifier in
    its resource schema), from the physical ids Copilot's stacks report."""
    physical = physical_ids[kept.logical_id]
    properties = primary_identifier(kept.kind)
    if kept.kind == "AWS::Cognito::UserPoolClient":
        return {"UserPoolId": physical_ids["UserPool"], "ClientId": physical}
    (name,) = properties
    return {name: physical}


def primary_identifier(kind: str) -> list[str]:
    """From the resource schemas cfn-lint ships (AWS's registry schemas)."""
    from cfnlint.data import schemas  # noqa: PLC0415 -- only the planning needs it

    folder = Path(schemas.__file__).parent
    digests = json.loads((folder / "providers" / "us-east-1.json").read_text())
    schema = json.loads((folder / "resources" / f"{digests[kind]}.json").read_text())
    return [p.removeprefix("/properties/") for p in schema["primaryIdentifier"]]


def importable(kind: str) -> bool:
    """A registry type with read and list handlers, which resource import needs."""
    from cfnlint.data import schemas  # noqa: PLC0415

    folder = Path(schemas.__file__).parent
    digests = json.loads((folder / "providers" / "us-east-1.json").read_text())
    schema = json.loads((folder / "resources" / f"{digests[kind]}.json").read_text())
    return {"read", "list"} <= set(schema.get("handlers") or {})


# -- the templates ---------------------------------------------------------------------------------


def retained(template: dict[str, Any], logical_ids: set[str]) -> dict[str, Any]:
    """`template` with DeletionPolicy and UpdateReplacePolicy Retain on `logical_ids`, nothing
    else changed."""
    result = copy.deepcopy(template)
    for logical_id in logical_ids:
        resource = result["Resources"][logical_id]
        resource["DeletionPolicy"] = "Retain"
        resource["UpdateReplacePolicy"] = "Retain"
    return result


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found: set[str] = set()
        if set(node) == {"Ref"} and isinstance(node["Ref"], str):
            found.add(node["Ref"])
        elif set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else target.split(".")[0])
        elif set(node) == {"Fn::Sub"}:
            body = node["Fn::Sub"]
            text, variables = (body, {}) if isinstance(body, str) else body
            found |= {name.split(".")[0] for name in _sub_names(text)} - set(variables)
            found |= _references(variables)
        else:
            for value in node.values():
                found |= _references(value)
        return found
    if isinstance(node, list):
        return set().union(*(_references(v) for v in node)) if node else set()
    return set()


def _sub_names(text: str) -> set[str]:
    return {m for m in re.findall(r"\$\{([^}!]+)\}", text) if not m.startswith("AWS::")}


def import_template(template: dict[str, Any], logical_ids: set[str]) -> dict[str, Any]:
    """The template of the IMPORT change set: the CDK stack's parameters, conditions, rules and
    mappings, and only the imported resources, with Retain (CloudFormation requires a deletion
    policy on each). The import creates nothing, so a property that refers to a resource it does
    not bring (the task role's managed policy, made by the deployment after it) is left out: an
    import reads the resource by its identifier and does not check the other properties, and the
    deployment that follows sets them. An identifier that refers to such a resource is refused.
    The properties left out are listed in the template's Metadata."""
    resources = {k: copy.deepcopy(template["Resources"][k]) for k in sorted(logical_ids)}
    known = set(template.get("Parameters") or {}) | set(resources)
    left_out = []
    for logical_id, resource in resources.items():
        resource["DeletionPolicy"] = "Retain"
        resource["UpdateReplacePolicy"] = "Retain"
        resource.pop("DependsOn", None)
        properties = resource.get("Properties") or {}
        identifier = set(primary_identifier(resource["Type"]))
        for name in sorted(properties):
            dangling = {
                r for r in _references(properties[name]) if r not in known and "::" not in r
            }
            if not dangling:
                continue
            if name in identifier:
                raise AdoptionError(
                    f"{logical_id} -> {', '.join(sorted(dangling))}: its identifier ({name}) "
                    "refers to a resource the import does not bring"
                )
            del properties[name]
            left_out.append(f"{logical_id}.{name}")
    result: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Metadata": {"teamtasks:adoption": {"left to the deployment": left_out}},
        "Resources": resources,
    }
    for section in ("Parameters", "Conditions", "Mappings", "Rules", "Transform"):
        if template.get(section):
            result[section] = template[section]
    return result


# -- the plan: what the account has -------------------------------------------------------------


def stack_name(pattern: str, env: str) -> str:
    return pattern.format(app=APP, env=env)


def physical_ids(cloudformation: Any, stack: str) -> dict[str, str]:
    found = {}
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            found[resource["LogicalResourceId"]] = resource["PhysicalResourceId"]
    return found


def copilot_stacks(cloudformation: Any, env: str) -> dict[str, str]:
    """Copilot's stacks of the environment by role, the addons' nested stacks by their ids."""
    stacks = {}
    for role, pattern in COPILOT_ROOTS.items():
        name = stack_name(pattern, env)
        stacks[role] = name
        nested = physical_ids(cloudformation, name).get(NESTED)
        if nested:
            stacks[f"{role}-addons"] = nested
    return stacks


def plan(cloudformation: Any, env: str, made: set[str] | None = None) -> dict[str, Any]:
    """What is kept, where it is now, its import identifier; `made` limits KEPT to the logical
    ids the CDK templates have (a standby has no table, a feature environment no vault)."""
    stacks = copilot_stacks(cloudformation, env)
    ids = {role: physical_ids(cloudformation, stack) for role, stack in stacks.items()}
    entries = []
    for kept in KEPT:
        role_ids = ids.get(kept.copilot, {})
        if kept.logical_id not in role_ids:
            if made is not None and kept.logical_id not in made:
                continue
            raise AdoptionError(
                f"{kept.logical_id} is not in Copilot's {kept.copilot} stack of {env}: is the "
                f"environment deployed with the service?"
            )
        identifiers = {**role_ids, **ids.get("environment-addons", {})}
        entries.append(
            {
                "logical_id": kept.logical_id,
                "type": kept.kind,
                "copilot_stack": stacks[kept.copilot],
                "cdk_stack": stack_name(CDK_STACKS[kept.cdk], env),
                "physical_id": role_ids[kept.logical_id],
                "identifier": import_identifier(kept, identifiers),
            }
        )
    return {"env": env, "copilot_stacks": stacks, "kept": entries}


# -- retain: in Copilot's stacks -------------------------------------------------------------------


def _template(cloudformation: Any, stack: str) -> dict[str, Any]:
    """The stack's template as it was submitted (a JSON one comes back parsed, a YAML one as
    text with CloudFormation's short-form tags)."""
    body = cloudformation.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    if isinstance(body, dict):
        return body
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.yml"
        path.write_text(body)
        return templates.load(path)


def _wait(cloudformation: Any, stack: str, timeout_s: float = 3600) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        status = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            return status
        if time.monotonic() > deadline:
            raise AdoptionError(f"{stack} still {status}")
        time.sleep(5)


def _update(cloudformation: Any, stack: str, template: dict[str, Any], **extra: Any) -> None:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    cloudformation.update_stack(
        StackName=stack,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
            for p in described.get("Parameters", [])
            if p["ParameterKey"] not in extra.get("replaced", {})
        ]
        + [{"ParameterKey": k, "ParameterValue": v} for k, v in extra.get("replaced", {}).items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    status = _wait(cloudformation, stack)
    if status not in ("UPDATE_COMPLETE",):
        raise AdoptionError(f"{stack}: {status}")


def retain(cloudformation: Any, s3: Any, the_plan: dict[str, Any]) -> list[str]:
    """Set Retain on every kept resource in Copilot's stacks, through their root stacks (a
    nested stack's new template goes where its current one is, and the root is updated to name
    it), then check each stack's template says Retain. Returns the stacks updated."""
    stacks = the_plan["copilot_stacks"]
    by_stack: dict[str, set[str]] = {}
    for entry in the_plan["kept"]:
        by_stack.setdefault(entry["copilot_stack"], set()).add(entry["logical_id"])
    updated = []
    for role in COPILOT_ROOTS:
        root_name = stacks[role]
        nested_name = stacks.get(f"{role}-addons")
        root_template = _template(cloudformation, root_name)
        replaced: dict[str, str] = {}
        if nested_name and by_stack.get(nested_name):
            nested_template = retained(
                _template(cloudformation, nested_name), by_stack[nested_name]
            )
            url = _nested_url(cloudformation, root_name, root_template)
            new_url = _upload(
                s3, url, f"adoption/{the_plan['env']}-{role}-addons.json", nested_template
            )
            properties = root_template["Resources"][NESTED]["Properties"]
            if isinstance(properties["TemplateURL"], dict):  # the service's: a parameter
                replaced[properties["TemplateURL"]["Ref"]] = new_url
            else:
                properties["TemplateURL"] = new_url
        root_template = retained(root_template, by_stack.get(root_name, set()))
        _update(cloudformation, root_name, root_template, replaced=replaced)
        updated.append(root_name)
    for stack, logical_ids in by_stack.items():
        template = _template(cloudformation, stack)
        for logical_id in logical_ids:
            policy = template["Resources"][logical_id].get("DeletionPolicy")
            if policy != "Retain":
                raise AdoptionError(f"{stack}: {logical_id} is not retained ({policy!r})")
    return updated


def _nested_url(cloudformation: Any, root: str, root_template: dict[str, Any]) -> str:
    url = root_template["Resources"][NESTED]["Properties"]["TemplateURL"]
    if isinstance(url, dict):
        parameters = cloudformation.describe_stacks(StackName=root)["Stacks"][0]["Parameters"]
        url = {p["ParameterKey"]: p["ParameterValue"] for p in parameters}[url["Ref"]]
    return str(url)


def _upload(s3: Any, beside: str, key: str, template: dict[str, Any]) -> str:
    """Put `template` in the bucket of the template URL `beside`; its URL."""
    parsed = urlparse(beside)
    bucket = parsed.netloc.split(".s3")[0]
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(template).encode())
    return f"https://{parsed.netloc}/{key}"


# -- import: into the CDK app's stacks -------------------------------------------------------------


def import_stacks(
    cloudformation: Any, the_plan: dict[str, Any], cdk_templates: dict[str, dict[str, Any]]
) -> list[str]:
    """Create each CDK stack by an IMPORT change set of the kept resources, in CDK_STACKS' order;
    `cdk deploy` then adds the rest. Copilot's stacks must be gone: a resource is in one stack."""
    env = the_plan["env"]
    for stack in the_plan["copilot_stacks"].values():
        if _exists(cloudformation, stack):
            raise AdoptionError(f"Copilot's stack {stack} still exists: delete it first")
    done = []
    for role, pattern in CDK_STACKS.items():
        name = stack_name(pattern, env)
        entries = [e for e in the_plan["kept"] if e["cdk_stack"] == name]
        if not entries:
            continue
        body = import_template(cdk_templates[role], {e["logical_id"] for e in entries})
        arguments: dict[str, Any] = {
            "StackName": name,
            "ChangeSetName": "adopt-from-copilot",
            "ChangeSetType": "IMPORT",
            "TemplateBody": json.dumps(body),
            "ResourcesToImport": [
                {
                    "ResourceType": e["type"],
                    "LogicalResourceId": e["logical_id"],
                    "ResourceIdentifier": e["identifier"],
                }
                for e in entries
            ],
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        }
        if role != "deployment":
            # Deployed as the environment's CloudFormation role, as `cdk deploy` will.
            arguments["RoleARN"] = (
                f"arn:aws:iam::{_account(cloudformation)}:role/{APP}-{env}-CFNExecutionRole"
            )
        cloudformation.create_change_set(**arguments)
        waiter = cloudformation.get_waiter("change_set_create_complete")
        waiter.wait(StackName=name, ChangeSetName="adopt-from-copilot")
        cloudformation.execute_change_set(StackName=name, ChangeSetName="adopt-from-copilot")
        status = _wait(cloudformation, name)
        if status != "IMPORT_COMPLETE":
            raise AdoptionError(f"{name}: {status}")
        done.append(name)
    return done


def _account(cloudformation: Any) -> str:
    import boto3  # noqa: PLC0415

    return boto3.client("sts", region_name=cloudformation.meta.region_name).get_caller_identity()[
        "Account"
    ]


def _exists(cloudformation: Any, stack: str) -> bool:
    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError:
        return False
    return bool(found) and found[0]["StackStatus"] != "DELETE_COMPLETE"


def cdk_templates(assembly: Path, env: str) -> dict[str, dict[str, Any]]:
    """The environment's synthesised templates, by stack (deployment, environment, api)."""
    folder = assembly / f"assembly-{env}"
    manifest = json.loads((folder / "manifest.json").read_text())
    found = {}
    for artifact in manifest["artifacts"].values():
        role = (artifact.get("displayName") or "").removeprefix(f"{env}/")
        if role in CDK_STACKS and artifact["type"] == "aws:cloudformation:stack":
            found[role] = json.loads((folder / artifact["properties"]["templateFile"]).read_text())
    return found


def main(argv: list[str] | None = None) -> int:
    import boto3  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m cdk.adopt", description=__doc__)
    parser.add_argument("step", choices=["plan", "retain", "import"])
    parser.add_argument("--env")
    parser.add_argument("--plan", type=Path)
    parser.add_argument("--assembly", type=Path, default=Path(__file__).parent / "cdk.out")
    arguments = parser.parse_args(argv)
    cloudformation = boto3.client("cloudformation")
    try:
        if arguments.step == "plan":
            if not arguments.env:
                parser.error("plan needs --env")
            synthesised = cdk_templates(arguments.assembly, arguments.env)
            made = {k for t in synthesised.values() for k in t["Resources"]}
            print(json.dumps(plan(cloudformation, arguments.env, made), indent=1))
            return 0
        if not arguments.plan:
            parser.error(f"{arguments.step} needs --plan")
        the_plan = json.loads(arguments.plan.read_text())
        if arguments.step == "retain":
            retain(cloudformation, boto3.client("s3"), the_plan)
        else:
            import_stacks(
                cloudformation, the_plan, cdk_templates(arguments.assembly, the_plan["env"])
            )
    except AdoptionError as error:
        print(f"adopt: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
