// The audit log (admins and owners): every change, newest first, in words: who did what to which
// thing (a task's title links to it), and what changed from what to what, or what was deleted.
// Filters by kind of thing, kind of change and person live in the URL. The API has no filters
// for the log, so they apply to the events loaded so far; "Show older events" loads more, and
// the page says how much was searched.
import { Fragment, type ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import type { AuditEvent, Member, Page, Role, Status } from "../../api/client";
import { formatDate, formatTime } from "../../lib/dates";
import { ROLE_LABEL, STATUS_LABEL, fieldLabel, plural } from "../../lib/labels";
import { ErrorAlert, Loading, RetryAlert } from "../components/feedback";
import { inputValue } from "../components/fields";
import { Person } from "../components/person";
import { TableHead } from "../components/table";
import { useServices } from "../context";
import { focusSoon, useAction, useLoad } from "../hooks";
import { paths, replaceQuery } from "../router";
import { FORMER_MEMBER, memberName, type WorkspaceData } from "../workspace/data";
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
  "label.created": "Created a label",
  "label.updated": "Changed a label",
  "label.deleted": "Deleted a label",
};

// A comment's label is the title of the task it is on.
const TARGET_LABEL: Record<string, string> = { workspace: "Workspace", member: "Member", task: "Task", invitation: "Invitation", comment: "Comment on", label: "Label" };
const UNNAMED: Record<string, string> = { task: "a task", member: "a member", invitation: "an invitation", comment: "a task", label: "a label" };
const PEOPLE = new Set(["assignee_id", "created_by", "user_id", "actor_id"]);
/** Fields whose value is a list of people (a comment's mentions). */
const PEOPLE_LISTS = new Set(["mentions"]);
const LONG_TEXT = 160;
const PAGE_SIZE = 25;

// -- filters ------------------------------------------------------------------------------------

/** The kinds of thing, as the "What" filter offers them (invitations go with members). */
const THINGS: [string, string][] = [
  ["task", "Tasks"],
  ["comment", "Comments"],
  ["member", "Members and invitations"],
  ["label", "Labels"],
  ["workspace", "The workspace"],
];
const CHANGES: [string, string][] = [
  ["created", "Created or added"],
  ["changed", "Changed"],
  ["removed", "Deleted or removed"],
];

interface AuditFilters {
  thing: string;
  change: string;
  by: string;
}

function readFilters(search: string): AuditFilters {
  const params = new URLSearchParams(search);
  return { thing: params.get("what") ?? "", change: params.get("change") ?? "", by: params.get("by") ?? "" };
}

function changeKind(action: string): string {
  if (action.endsWith(".created") || action === "member.added") return "created";
  if (action.endsWith(".deleted") || action === "member.removed" || action === "invitation.revoked" || action === "invitation.declined") return "removed";
  return "changed";
}

function matches(event: AuditEvent, filters: AuditFilters): boolean {
  const thing = event.target.type === "invitation" ? "member" : event.target.type;
  return (!filters.thing || thing === filters.thing) && (!filters.change || changeKind(event.action) === filters.change) && (!filters.by || event.actor_id === filters.by);
}

// -- loading ------------------------------------------------------------------------------------

/** The first page read again (someone changed something), joined to what was loaded before:
 * new events on top, the older pages kept, unless so much happened that there is a gap. */
function withNewest(first: Page<AuditEvent>, loaded: Page<AuditEvent> | null): Page<AuditEvent> {
  if (!loaded || loaded.items.length <= first.items.length) return first;
  const oldestFirst = first.items.at(-1);
  const newestLoaded = loaded.items[0];
  if (oldestFirst && newestLoaded && oldestFirst.id > newestLoaded.id && first.next_cursor) return first;
  const ids = new Set(first.items.map((event) => event.id));
  return { items: [...first.items, ...loaded.items.filter((event) => !ids.has(event.id))], next_cursor: loaded.next_cursor };
}

// -- one event ----------------------------------------------------------------------------------

function latest(change: unknown): unknown {
  return Array.isArray(change) ? (change[1] ?? change[0]) : change;
}

/** Names for the targets and people of the events: the events' own labels first (an event
 * stays readable after its target is gone), then what the events' changes say. */
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

type Who = (id: string | null) => string;

function ValueText({ field, value, who }: { field: string; value: unknown; who: Who }) {
  if (PEOPLE.has(field)) return <Person who={who(typeof value === "string" ? value : null)} />;
  if (field === "email" && typeof value === "string") return <Person who={value} />;
  if (PEOPLE_LISTS.has(field) && Array.isArray(value)) {
    if (!value.length) return <>nobody</>;
    return (
      <>
        {value.map((id, index) => (
          <Fragment key={String(id)}>
            {index > 0 && ", "}
            <Person who={who(String(id))} />
          </Fragment>
        ))}
      </>
    );
  }
  if (value === null || value === undefined) return <>{field === "due_date" ? "No due date" : "none"}</>;
  if (field === "status" && typeof value === "string") return <>{STATUS_LABEL[value as Status] ?? value}</>;
  if (field === "role" && typeof value === "string") return <>{ROLE_LABEL[value as Role] ?? value}</>;
  if (field === "due_date" && typeof value === "string") return <>{formatDate(value)}</>;
  // A task's labels are ids: how many there are says what happened without them.
  if (Array.isArray(value)) return <>{value.length ? plural(value.length, "label") : "none"}</>;
  if (typeof value !== "string") return <>{JSON.stringify(value)}</>;
  if (value === "") return <>(empty)</>;
  return <>{value.length > LONG_TEXT ? `${value.slice(0, LONG_TEXT)}…` : value}</>;
}

/** What a change without field values did, in words: a deletion says what was deleted. */
function Deleted({ event, name }: { event: AuditEvent; name: ComponentChildren }) {
  const says: Record<string, ComponentChildren> = {
    "task.deleted": <>Deleted the task {name}, with its comments</>,
    "comment.deleted": <>Deleted a comment on {name}</>,
    "label.deleted": <>Deleted the label {name}; it was taken off its tasks</>,
    "workspace.deleted": <>Deleted the workspace {name} and everything in it</>,
    "invitation.revoked": <>Revoked the invitation to {name}</>,
    "invitation.declined": <>{name} declined the invitation</>,
  };
  return <span class="muted">{says[event.action] ?? "Nothing else was recorded."}</span>;
}

function Changes({ event, who, name }: { event: AuditEvent; who: Who; name: ComponentChildren }) {
  const entries = Object.entries(event.changes ?? {});
  if (entries.length === 0) return <Deleted event={event} name={name} />;
  // A creation has only new values, a removal only old ones: show the one there is.
  const created = changeKind(event.action) === "created";
  const removed = changeKind(event.action) === "removed";
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
                <span class="change-old">
                  <ValueText field={field} value={before} who={who} />
                </span>{" "}
                <span aria-hidden="true">→</span>
                <span class="visually-hidden"> changed to</span>{" "}
              </>
            )}
            <span class="change-new">
              <ValueText field={field} value={after} who={who} />
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** `first`: the first of the older events just shown, where focus goes. */
function Row({ event, workspaceId, members, names, first }: { event: AuditEvent; workspaceId: string; members: Member[]; names: ReturnType<typeof namesOf>; first: boolean }) {
  const who = (id: string | null) => memberName(members, id, names.people);
  const type: string = event.target.type;
  const label = type === "workspace" ? (event.target.label ?? "this workspace") : (names.targets.get(event.target.id) ?? UNNAMED[type] ?? type);
  const known = type === "workspace" || names.targets.has(event.target.id);
  // A task's title leads to the task (unless this is its deletion); people are people. In a
  // sentence a name is quoted.
  let name: ComponentChildren = label;
  let quoted: ComponentChildren = known ? `“${label}”` : label;
  if ((type === "member" || type === "invitation") && label.includes("@")) name = quoted = <Person who={label} />;
  else if (type === "task" && known && event.action !== "task.deleted") name = <a href={paths.task(workspaceId, event.target.id)}>{label}</a>;
  return (
    <tr role="row" class={first ? "audit-first-new" : undefined} tabIndex={first ? -1 : undefined}>
      <td role="cell" class="col-when">
        <time dateTime={event.at}>{formatTime(event.at)}</time>
      </td>
      <td role="cell" class="col-who">
        <Person who={who(event.actor_id)} />
      </td>
      <td role="cell" class="col-what">
        <span class="what">{ACTION_LABEL[event.action] ?? event.action.replace(/[._]/g, " ")}</span>
        <span class="target">
          {TARGET_LABEL[type] ?? type}: <span class="target-label">{name}</span>
        </span>
      </td>
      <td role="cell" class="col-changes">
        <Changes event={event} who={who} name={quoted} />
      </td>
    </tr>
  );
}

function Filters({ filters, people }: { filters: AuditFilters; people: [string, string][] }) {
  const select = (id: string, label: string, key: "what" | "change" | "by", value: string, any: string, options: [string, string][]) => (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => replaceQuery({ [key]: inputValue(event) })}>
        <option value="">{any}</option>
        {options.map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </select>
    </div>
  );
  const any = Boolean(filters.thing || filters.change || filters.by);
  return (
    <form class="filters" role="search" aria-label="Filter the audit log" onSubmit={(event) => event.preventDefault()}>
      {select("audit-what", "What", "what", filters.thing, "Everything", THINGS)}
      {select("audit-change", "Change", "change", filters.change, "Any change", CHANGES)}
      {select("audit-by", "Who", "by", filters.by, "Anyone", people)}
      {any && (
        <button type="button" class="button" onClick={() => replaceQuery({ what: null, change: null, by: null })}>
          Clear filters
        </button>
      )}
    </form>
  );
}

export function AuditPage({ data, search }: { data: WorkspaceData; search: string }) {
  const { api } = useServices();
  const heading = useRef<HTMLHeadingElement>(null);
  const workspaceId = data.workspace.id;
  const filters = readFilters(search);
  const filtered = Boolean(filters.thing || filters.change || filters.by);
  const list = useLoad(async (loaded: Page<AuditEvent> | null) => withNewest(await api.audit(workspaceId, null, PAGE_SIZE), loaded), [workspaceId]);
  const older = useAction();
  const [firstNew, setFirstNew] = useState<string | null>(null);
  // Every change is an audit event: new ones join the top.
  useChanges(workspaceId, (changes, resync) => {
    if (resync || changes.length) list.refresh();
  });
  const loadOlder = () =>
    void older.run(async () => {
      const cursor = list.data?.next_cursor;
      if (!cursor) return;
      const page = await api.audit(workspaceId, cursor, PAGE_SIZE);
      list.setData((current) => current && { items: [...current.items, ...page.items.filter((e) => !current.items.some((c) => c.id === e.id))], next_cursor: page.next_cursor });
      setFirstNew(page.items[0]?.id ?? null);
      // Focus on the first event that came in (or, filtered out, the heading), so the keyboard
      // goes on from there.
      focusSoon(() => document.querySelector<HTMLElement>(".audit-first-new") ?? heading.current);
    });

  const events = list.data?.items ?? [];
  const shown = events.filter((event) => matches(event, filters));
  const names = namesOf(events);
  // Who: the members, and anyone else seen in what is loaded (a former member).
  const people: [string, string][] = data.members.map((m) => [m.user_id, m.email]);
  for (const event of events) {
    if (!people.some(([id]) => id === event.actor_id)) people.push([event.actor_id, `${names.people.get(event.actor_id) ?? FORMER_MEMBER} (no longer a member)`]);
  }
  if (filters.by && !people.some(([id]) => id === filters.by)) people.push([filters.by, FORMER_MEMBER]);
  const more = Boolean(list.data?.next_cursor);
  return (
    <div>
      <div class="list-head">
        <h2 id="list-heading" tabIndex={-1} ref={heading}>
          Audit log
        </h2>
        {list.loading && list.data && <Loading what="the audit log" />}
      </div>
      <Filters filters={filters} people={people} />
      {list.loading && !list.data && <Loading what="the audit log" />}
      <RetryAlert error={list.error} retry={list.reload} />
      {list.data && (
        <p class="muted" role="status">
          {filtered
            ? `${plural(shown.length, "event")} of the latest ${events.length} ${more ? "match. Older events are searched once they are shown." : "match: that is the whole log."}`
            : more
              ? `The latest ${events.length} events.`
              : events.length
                ? `All ${plural(events.length, "event")}.`
                : ""}
        </p>
      )}
      {list.data && events.length === 0 && <p class="empty">No events yet.</p>}
      {shown.length > 0 && (
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
            {shown.map((event) => (
              <Row key={event.id} event={event} workspaceId={workspaceId} members={data.members} names={names} first={event.id === firstNew} />
            ))}
          </tbody>
        </table>
      )}
      {more && (
        <p class="pager">
          <button type="button" class="button" disabled={older.busy} onClick={loadOlder}>
            {older.busy ? "Loading older events…" : "Show older events"}
          </button>
        </p>
      )}
      <ErrorAlert error={older.error} />
    </div>
  );
}
