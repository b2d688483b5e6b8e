// The audit log (admins and owners): every change, newest first, paged.
import type { AuditEvent } from "../../api/client";
import { ErrorAlert, Loading, Pager, formatTime, useLoad, usePager } from "../common";
import { useServices } from "../context";
import { memberName, type WorkspaceData } from "./workspace";

export const ACTION_LABEL: Record<string, string> = {
  "workspace.created": "Created the workspace",
  "workspace.updated": "Renamed the workspace",
  "workspace.deleted": "Deleted the workspace",
  "member.added": "Added a member",
  "member.role_changed": "Changed a member's role",
  "member.removed": "Removed a member",
  "task.created": "Created a task",
  "task.updated": "Updated a task",
  "task.deleted": "Deleted a task",
};

function show(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function Changes({ changes }: { changes: Record<string, unknown> }) {
  const entries = Object.entries(changes ?? {});
  if (entries.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="changes">
      {entries.map(([field, change]) => (
        <li key={field}>
          <strong>{field}</strong>:{" "}
          {Array.isArray(change) && change.length === 2 ? `${show(change[0])} → ${show(change[1])}` : show(change)}
        </li>
      ))}
    </ul>
  );
}

function target(event: AuditEvent, data: WorkspaceData): string {
  switch (event.target.type) {
    case "member":
      return `Member ${memberName(data.members, event.target.id)}`;
    case "task": {
      const title = (event.changes as Record<string, unknown>).title;
      const name = Array.isArray(title) ? show(title[1] ?? title[0]) : null;
      return name && name !== "—" ? `Task “${name}”` : `Task ${event.target.id}`;
    }
    default:
      return "Workspace";
  }
}

export function AuditSection({ data }: { data: WorkspaceData }) {
  const { api } = useServices();
  const pager = usePager(data.workspace.id);
  const list = useLoad(() => api.audit(data.workspace.id, pager.cursor), [data.workspace.id, pager.cursor]);
  return (
    <div>
      <h2>Audit log</h2>
      {list.loading && !list.data && <Loading what="the audit log" />}
      <ErrorAlert error={list.error}>
        <button type="button" onClick={list.reload}>Try again</button>
      </ErrorAlert>
      {list.data && list.data.items.length === 0 && <p>No events.</p>}
      {list.data && list.data.items.length > 0 && (
        <table class="audit">
          <caption class="visually-hidden">Audit events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Target</th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((event) => (
              <tr key={event.id}>
                <td>
                  <time dateTime={event.at}>{formatTime(event.at)}</time>
                </td>
                <td>{memberName(data.members, event.actor_id)}</td>
                <td>
                  {ACTION_LABEL[event.action] ?? event.action} <span class="muted small">({event.action})</span>
                </td>
                <td>{target(event, data)}</td>
                <td>
                  <Changes changes={event.changes} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Audit log" pageNumber={pager.pageNumber} nextCursor={list.data?.next_cursor} onNext={pager.next} onPrevious={pager.previous} />
    </div>
  );
}
