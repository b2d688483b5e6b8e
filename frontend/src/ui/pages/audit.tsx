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

/** Names for the ids in a page of events: task titles and member emails, from the events
 * themselves where the target is gone, else from the current members. */
interface Names {
  task: Map<string, string>;
  member: (id: string | null) => string;
}

function latest(change: unknown): unknown {
  return Array.isArray(change) ? (change[1] ?? change[0]) : change;
}

function names(events: AuditEvent[], data: WorkspaceData): Names {
  const task = new Map<string, string>();
  const emails = new Map<string, string>();
  for (const event of [...events].reverse()) {
    const changes = (event.changes ?? {}) as Record<string, unknown>;
    if (event.target.type === "task" && typeof latest(changes.title) === "string") task.set(event.target.id, latest(changes.title) as string);
    if (event.target.type === "member" && typeof latest(changes.email) === "string") emails.set(event.target.id, latest(changes.email) as string);
  }
  return {
    task,
    member: (id) => (id && !data.members.some((m) => m.user_id === id) && emails.has(id) ? emails.get(id)! : memberName(data.members, id)),
  };
}

const PEOPLE_FIELDS = new Set(["assignee_id", "created_by", "user_id"]);

function Changes({ changes, who }: { changes: Record<string, unknown>; who: Names["member"] }) {
  const entries = Object.entries(changes ?? {});
  if (entries.length === 0) return <span class="muted">—</span>;
  const value = (field: string, v: unknown) => (PEOPLE_FIELDS.has(field) && typeof v === "string" ? who(v) : show(v));
  return (
    <ul class="changes">
      {entries.map(([field, change]) => (
        <li key={field}>
          <strong>{field}</strong>:{" "}
          {Array.isArray(change) && change.length === 2 ? `${value(field, change[0])} → ${value(field, change[1])}` : value(field, change)}
        </li>
      ))}
    </ul>
  );
}

function target(event: AuditEvent, known: Names): string {
  switch (event.target.type) {
    case "member":
      return `Member ${known.member(event.target.id)}`;
    case "task": {
      const title = known.task.get(event.target.id);
      return title ? `Task “${title}”` : `Task ${event.target.id}`;
    }
    default:
      return "Workspace";
  }
}

export function AuditSection({ data }: { data: WorkspaceData }) {
  const { api } = useServices();
  const pager = usePager(data.workspace.id);
  const list = useLoad(() => api.audit(data.workspace.id, pager.cursor), [data.workspace.id, pager.cursor]);
  const known = list.data ? names(list.data.items, data) : null;
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
                <td>{target(event, known!)}</td>
                <td>
                  <Changes changes={event.changes} who={known!.member} />
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
