"""Tasks of a workspace: create, list with filters, read, partial update, delete."""

from __future__ import annotations

import re
from typing import Any

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.etags import etag, not_modified, required_if_match
from app.api.listing import list_page
from app.api.schemas import TaskCreate, TaskListArgs, TaskOut, TaskPageOut, TaskUpdate
from app.api.v1 import USER_ID_PATTERN, also_when_invalid, errors, v1_blueprint
from app.api.workspaces import ETAG_HEADER, IF_MATCH, IF_NONE_MATCH
from app.domain import tasks as tasks_domain

blp = v1_blueprint("tasks", "Tasks of a workspace")


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """Dates travel as YYYY-MM-DD text past the HTTP layer; label ids in their canonical (upper)
    case, as the ids the service makes are."""
    if body.get("due_date") is not None:
        body = {**body, "due_date": body["due_date"].isoformat()}
    if body.get("labels") is not None:
        body = {**body, "labels": [label_id.upper() for label_id in body["labels"]]}
    return body


@also_when_invalid(TaskCreate, TaskUpdate)
def _assignee_errors(body: dict[str, Any], path: dict[str, Any]) -> dict[str, list[str]]:
    """When other fields are invalid, whether the assignee would be refused too."""
    assignee = body.get("assignee_id")
    if not isinstance(assignee, str) or not re.fullmatch(USER_ID_PATTERN, assignee):
        return {}
    return services().tasks.assignee_errors(principal().user_id, path["workspace_id"], assignee)


@blp.route("/workspaces/<ulid:workspace_id>/tasks")
class TaskCollection(MethodView):
    @blp.arguments(TaskListArgs, location="query", unknown=RAISE)
    @blp.response(200, TaskPageOut)
    @errors(blp, 400, 404)
    def get(self, args, workspace_id):
        """The workspace's tasks, newest first, earliest due first or highest priority first;
        only those with one of some statuses and priorities, an assignee, a label, and the
        words of q, as asked. All filters combine; docs/data-model.md states what each
        combination costs."""
        criteria = tasks_domain.criteria(
            statuses=args.get("status"),
            priorities=args.get("priority"),
            assignee_id=args.get("assignee_id"),
            label_id=(args.get("label") or "").upper() or None,
            query=args.get("q"),
            sort=args.get("sort"),
        )
        return list_page(
            args,
            lambda start: services().tasks.page(
                principal().user_id,
                workspace_id,
                criteria,
                limit=args["limit"],
                after=(start or {}).get("SK"),
            ),
        )

    @blp.arguments(TaskCreate)
    @blp.response(201, TaskOut, headers={**ETAG_HEADER, "Location": {"schema": {"type": "string"}}})
    @errors(blp, 400, 403, 404, 413, 415)
    def post(self, body, workspace_id):
        """Create a task (member, admin or owner). The assignee must be a member (422)."""
        task = services().tasks.create(principal().user_id, workspace_id, _fields(body))
        location = url_for("tasks.Task", workspace_id=workspace_id, task_id=task.id)
        return task, 201, {"ETag": etag(task.version), "Location": location}


@blp.route("/workspaces/<ulid:workspace_id>/tasks/<ulid:task_id>", endpoint="Task")
class Task(MethodView):
    @blp.doc(parameters=[IF_NONE_MATCH])
    @blp.response(200, TaskOut, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified: If-None-Match names the current version")
    @errors(blp, 404)
    def get(self, workspace_id, task_id):
        """One task."""
        task = services().tasks.get(principal().user_id, workspace_id, task_id)
        return not_modified(task.version) or (task, 200, {"ETag": etag(task.version)})

    @blp.doc(parameters=[IF_MATCH])
    @blp.arguments(TaskUpdate)
    @blp.response(200, TaskOut, headers=ETAG_HEADER)
    @errors(blp, 400, 403, 404, 412, 413, 415, 428)
    def patch(self, body, workspace_id, task_id):
        """Change some of a task's fields (member, admin or owner). Needs If-Match."""
        task = services().tasks.update(
            principal().user_id,
            workspace_id,
            task_id,
            _fields(body),
            if_match=required_if_match(),
        )
        return task, 200, {"ETag": etag(task.version)}

    @blp.doc(parameters=[IF_MATCH])
    @blp.response(204)
    @errors(blp, 403, 404, 412, 428)
    def delete(self, workspace_id, task_id):
        """Delete a task (member, admin or owner). Needs If-Match."""
        services().tasks.delete(
            principal().user_id, workspace_id, task_id, if_match=required_if_match()
        )
        return ""
