// The audit log (admins and owners): every change, newest first, paged, in words: who did what
// to which thing, and what changed from what to what.
import { useRef } from "preact/hooks";
import type { AuditEvent, Member, Role, Status } from "../../api/client";
import { formatDate, formatTime } from "../../lib/dates";
import { ROLE_LABEL, STATUS_LABEL, fieldLabel } from "../../lib/labels";
import { Loading, RetryAlert } from "../components/feedback";
import { Pager } from "../components/pager";
import { TableHead } from "../components/table";
import { useServices } from "../context";
import { useLoad, usePager } from "../hooks";
import { memberName, type WorkspaceData } from "../workspace/data";
import { useChanges } from "../workspace/live";

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
  "invitation.created": "Invited someone",
  "invitation.revoked": "Revoked an invitation",
  "invitation.declined": "Declined an invitation",
  "comment.created": "Commented",
  "comment.updated": "Edited a comment",
  "comment.deleted": "Deleted a comment",
};

// A comment's label is the title of the task it is on.
const TARGET_LABEL: Record<string, string> = { workspace: "Workspace", member: "Member", task: "Task", invitation: "Invitation", comment: "Comment on" };
const UNNAMED: Record<string, string> = { task: "a task", member: "a member", invitation: "an invitation", comment: "a task" };
const PEOPLE = new Set(["assignee_id", "created_by", "user_id", "actor_id"]);
/** Fields whose value is a list of people (a comment's mentions). */
const PEOPLE_LISTS = new Set(["mentions"]);
const LONG_TEXT = 160;

function latest(change: unknown): unknown {
  return Array.isArray(change) ? (change[1] ?? change[0]) : change;
}

/** Names for the targets and people of a page of events: the events' own labels first (an
 * event stays readable after its target is gone), then what the events' changes say. */
function namesOf(events: AuditEvent[]): { targets: Map<string, string>; people: Map<string, string> } {
  const targets = new Map<string, string>();
  const people = new Map<string, string>();
  for (const event of [...events].reverse()) {
    const changes = event.changes ?? {};
    const named = latest(changes.title ?? changes.email ?? changes.name);
    if (event.target.label) targets.set(event.target.id, event.target.label);
    else if (typeof named === "string" && !targets.has(event.target.id)) targets.set(event.target.id, named);
    if (event.target.type === "member" && targets.has(event.target.id)) people.set(event.target.id, targets.get(event.target.id)!);
  }
  return { targets, people };
}

function valueText(field: string, value: unknown, who: (id: string | null) => string): string {
  if (PEOPLE.has(field)) return who(typeof value === "string" ? value : null);
  if (PEOPLE_LISTS.has(field) && Array.isArray(value)) return value.length ? value.map((id) => who(String(id))).join(", ") : "nobody";
  if (value === null || value === undefined) return field === "due_date" ? "No due date" : "none";
  if (field === "status" && typeof value === "string") return STATUS_LABEL[value as Status] ?? value;
  if (field === "role" && typeof value === "string") return ROLE_LABEL[value as Role] ?? value;
  if (field === "due_date" && typeof value === "string") return formatDate(value);
  if (typeof value !== "string") return JSON.stringify(value);
  if (value === "") return "(empty)";
  return value.length > LONG_TEXT ? `${value.slice(0, LONG_TEXT)}…` : value;
}

function Changes({ event, who }: { event: AuditEvent; who: (id: string | null) => string }) {
  const entries = Object.entries(event.changes ?? {});
  if (entries.length === 0) return <span class="muted">No field changes</span>;
  // A creation has only new values, a removal only old ones: show the one there is.
  const created = event.action.endsWith(".created") || event.action === "member.added";
  const removed = event.action.endsWith(".deleted") || event.action === "member.removed";
  return (
    <ul class="changes">
      {entries.map(([field, change]) => {
        const pair = Array.isArray(change) && change.length === 2;
        const before = pair ? change[0] : null;
        const after = pair ? (removed ? change[0] : change[1]) : change;
        return (
          <li key={field}>
            <span class="change-field">{fieldLabel(field)}</span>{" "}
            {pair && !created && !removed && (
              <>
                <span class="change-old">{valueText(field, before, who)}</span> <span aria-hidden="true">→</span>
                <span class="visually-hidden"> changed to</span>{" "}
              </>
            )}
            <span class="change-new">{valueText(field, after, who)}</span>
          </li>
        );
      })}
    </ul>
  );
}

function Row({ event, members, names }: { event: AuditEvent; members: Member[]; names: ReturnType<typeof namesOf> }) {
  const who = (id: string | null) => memberName(members, id, names.people);
  const type = event.target.type;
  const label = type === "workspace" ? (event.target.label ?? "this workspace") : (names.targets.get(event.target.id) ?? UNNAMED[type] ?? type);
  return (
    <tr role="row">
      <td role="cell" class="col-when">
        <time dateTime={event.at}>{formatTime(event.at)}</time>
      </td>
      <td role="cell" class="col-who">
        {who(event.actor_id)}
      </td>
      <td role="cell" class="col-what">
        <span class="what">{ACTION_LABEL[event.action] ?? event.action.replace(/[._]/g, " ")}</span>
        <span class="target">
          {TARGET_LABEL[type] ?? type}: <span class="target-label">{label}</span>
        </span>
      </td>
      <td role="cell" class="col-changes">
        <Changes event={event} who={who} />
      </td>
    </tr>
  );
}

export function AuditPage({ data }: { data: WorkspaceData }) {
  const { api } = useServices();
  const pager = usePager(data.workspace.id);
  const heading = useRef<HTMLHeadingElement>(null);
  const list = useLoad(() => api.audit(data.workspace.id, pager.cursor), [data.workspace.id, pager.cursor]);
  // Every change is an audit event: new ones show on the first page (later pages stay put).
  useChanges(data.workspace.id, (changes, resync) => {
    if (resync || (changes.length && pager.pageNumber === 1)) list.refresh();
  });
  const names = list.data ? namesOf(list.data.items) : null;
  return (
    <div>
      <div class="list-head">
        <h2 id="list-heading" tabIndex={-1} ref={heading}>
          Audit log
        </h2>
        {list.loading && list.data && <Loading what="the audit log" />}
      </div>
      {list.loading && !list.data && <Loading what="the audit log" />}
      <RetryAlert error={list.error} retry={list.reload} />
      {list.data && list.data.items.length === 0 && <p class="empty">No events yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <table class={`audit-table${list.loading ? " is-stale" : ""}`} role="table" aria-busy={list.loading}>
          <caption class="visually-hidden">Audit events, newest first</caption>
          <TableHead
            columns={[
              ["col-when", "When"],
              ["col-who", "Who"],
              ["col-what", "What"],
              ["col-changes", "Changes"],
            ]}
          />
          <tbody role="rowgroup">
            {list.data.items.map((event) => (
              <Row key={event.id} event={event} members={data.members} names={names!} />
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Audit log" pager={pager} nextCursor={list.data?.next_cursor} heading={heading} />
    </div>
  );
}
