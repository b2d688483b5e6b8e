"""python -m cdk.adopt plan|retain|release|import|cleanup (see cdk/adopt/__init__.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cdk.adopt import copilot, plan, steps
from cdk.adopt.plan import CDK_STACKS, AdoptionError

SSM_TYPED = "AWS::SSM::Parameter::Value<"


def cdk_templates(assembly: Path, env: str) -> dict[str, dict[str, Any]]:
    """The environment's synthesised templates, by stack (deployment, environment, api)."""
    folder = assembly / f"assembly-{env}"
    manifest = json.loads((folder / "manifest.json").read_text())
    found = {}
    for artifact in manifest["artifacts"].values():
        role = (artifact.get("displayName") or "").removeprefix(f"{env}/")
        if role in CDK_STACKS and artifact["type"] == "aws:cloudformation:stack":
            found[role] = json.loads((folder / artifact["properties"]["templateFile"]).read_text())
    missing = set(CDK_STACKS) - set(found)
    if missing:
        raise AdoptionError(f"{folder} has no {sorted(missing)} stack: run cdk synth first")
    return found


def settings(ssm: Any, templates: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The values of the CDK templates' SSM-typed parameters (the environment's settings)."""
    names = {
        spec["Default"]: name
        for template in templates.values()
        for name, spec in (template.get("Parameters") or {}).items()
        if str(spec.get("Type", "")).startswith(SSM_TYPED)
    }
    values = {}
    found = sorted(names)
    for start in range(0, len(found), 10):
        answer = ssm.get_parameters(Names=found[start : start + 10])
        values.update({p["Name"]: p["Value"] for p in answer["Parameters"]})
    return {names[n]: v for n, v in values.items()}


def main(argv: list[str] | None = None) -> int:
    import boto3  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m cdk.adopt", description=__doc__)
    parser.add_argument("step", choices=["plan", "retain", "release", "import", "cleanup"])
    parser.add_argument("--env")
    parser.add_argument("--plan", type=Path)
    parser.add_argument("--assembly", type=Path, default=Path(__file__).parent.parent / "cdk.out")
    arguments = parser.parse_args(argv)
    cloudformation = boto3.client("cloudformation")
    try:
        if arguments.step == "plan":
            if not arguments.env:
                parser.error("plan needs --env")
            account = boto3.client("sts").get_caller_identity()["Account"]
            deployment = copilot.read(cloudformation, arguments.env, account=account)
            templates = cdk_templates(arguments.assembly, arguments.env)
            reason = steps.rotation_due(boto3.client("secretsmanager"), arguments.env)
            if reason:
                raise AdoptionError(reason)
            values = plan.Values(
                region=deployment.region,
                account=account,
                parameters=settings(boto3.client("ssm"), templates),
                exports=deployment.exports,
            )
            print(json.dumps(plan.make(deployment, templates, values), indent=1))
            return 0
        if not arguments.plan:
            parser.error(f"{arguments.step} needs --plan")
        the_plan = json.loads(arguments.plan.read_text())
        if arguments.step == "retain":
            steps.retain(cloudformation, boto3.client("s3"), the_plan)
        elif arguments.step == "release":
            steps.release(cloudformation, boto3.client("secretsmanager"), the_plan)
        elif arguments.step == "import":
            steps.import_stacks(
                cloudformation, boto3.client("cloudfront"), boto3.client("s3"), the_plan
            )
        else:
            deleted = steps.cleanup(boto3.client, the_plan)
            print("\n".join(deleted))
    except AdoptionError as error:
        print(f"adopt: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
