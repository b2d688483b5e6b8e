"""A one-off operator task inside the environment's VPC: a command run in a task of the service's
own image and task definition, as the environment's operator role (addons/environment/
operator.yml), in the private subnets with the service's security group. The table and the data
key admit the operator's requests only from there (docs/security.md); a workstation is refused.

    python -m ops.operator_task prod -- python -m migrations.m001_due_order_and_labels \\
        --table teamtasks-prod-tasks
    python -m ops.operator_task prod -- python lambdas/audit_archive/audit_chain.py \\
        --bucket teamtasks-prod-audit-<account>-<region> --table teamtasks-prod-tasks

It waits for the task to stop, prints where its output is (the service's log group) and exits
with the command's exit code. The caller needs ecs:RunTask and ecs:DescribeTasks on the
environment's cluster, iam:PassRole on the operator role, and reads of the environment's
exports and settings (an administrator has them)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import boto3

APP = "teamtasks"
SERVICE = "api"


class OperatorTaskError(RuntimeError):
    """The environment is not deployed as the task needs it, or the task did not run."""


@dataclass(frozen=True)
class Placement:
    cluster: str
    task_definition: str
    subnets: list[str]
    security_group: str
    role_arn: str


def _export(cloudformation: Any, name: str) -> str:
    for page in cloudformation.get_paginator("list_exports").paginate():
        for export in page["Exports"]:
            if export["Name"] == name:
                return export["Value"]
    raise OperatorTaskError(f"no export {name}: is the environment deployed?")


def placement(session: Any, env: str, app: str = APP, service: str = SERVICE) -> Placement:
    """Where and as what the task runs: the service's cluster, task definition, private
    subnets and security group, and the environment's operator role."""
    cloudformation, ecs, ssm = (session.client(s) for s in ("cloudformation", "ecs", "ssm"))
    cluster = _export(cloudformation, f"{app}-{env}-ClusterId")
    prefix = f"{app}-{env}-{service}-"
    definition = None
    for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
        arns = page["serviceArns"]
        if not arns:
            continue
        for described in ecs.describe_services(cluster=cluster, services=arns)["services"]:
            if described["serviceName"].startswith(prefix):
                definition = described["taskDefinition"]
    if definition is None:
        raise OperatorTaskError(f"no service {service} in {cluster}: deploy it first")
    subnets = ssm.get_parameter(Name=f"/{app}/{env}/network/private-subnets")["Parameter"]
    account = session.client("sts").get_caller_identity()["Account"]
    return Placement(
        cluster=cluster,
        task_definition=definition,
        subnets=subnets["Value"].split(","),
        security_group=_export(cloudformation, f"{app}-{env}-EnvironmentSecurityGroup"),
        role_arn=f"arn:aws:iam::{account}:role/{app}-{env}-operator",
    )


def run_task_request(where: Placement, command: list[str], service: str = SERVICE) -> dict:
    """ECS RunTask's arguments: the service's task definition on Fargate (on demand), in the
    private subnets with the service's group and no public address, as the operator role,
    running `command` in the service's container instead of the server."""
    return dict(
        cluster=where.cluster,
        taskDefinition=where.task_definition,
        count=1,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        startedBy="ops.operator_task",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": where.subnets,
                "securityGroups": [where.security_group],
                "assignPublicIp": "DISABLED",
            }
        },
        overrides={
            "taskRoleArn": where.role_arn,
            "containerOverrides": [{"name": service, "command": command}],
        },
    )


def run(
    session: Any, env: str, command: list[str], *, wait: bool = True, service: str = SERVICE
) -> dict[str, Any]:
    """Starts the task (and waits for it to stop); returns ECS's description of it."""
    where = placement(session, env, service=service)
    ecs = session.client("ecs")
    started = ecs.run_task(**run_task_request(where, command, service))
    if started.get("failures") or not started.get("tasks"):
        raise OperatorTaskError(f"the task did not start: {started.get('failures')}")
    task = started["tasks"][0]
    if wait:
        ecs.get_waiter("tasks_stopped").wait(
            cluster=where.cluster,
            tasks=[task["taskArn"]],
            WaiterConfig={"Delay": 10, "MaxAttempts": 360},
        )
        task = ecs.describe_tasks(cluster=where.cluster, tasks=[task["taskArn"]])["tasks"][0]
    return task


def exit_code(task: dict[str, Any], service: str = SERVICE) -> int:
    for container in task.get("containers", []):
        if container["name"] == service:
            return int(container.get("exitCode", 1))
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.operator_task", description=__doc__)
    parser.add_argument("env")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    arguments = parser.parse_args(argv)
    command = [c for c in arguments.command if c != "--"] or parser.error("no command")
    session = boto3.session.Session()
    try:
        task = run(session, arguments.env, command)
    except OperatorTaskError as error:
        print(f"operator task: {error}", file=sys.stderr)
        return 1
    task_id = task["taskArn"].rsplit("/", 1)[1]
    print(f"task {task_id} stopped; its output: log group /copilot/{APP}-{arguments.env}-{SERVICE}")
    return exit_code(task)


if __name__ == "__main__":
    sys.exit(main())
