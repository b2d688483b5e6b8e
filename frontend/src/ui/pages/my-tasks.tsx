// My tasks, where a signed-in person lands: what is assigned to them in every workspace,
// earliest due first, overdue and due soon at a glance. Open work (to do, in progress) by
// default; Done and All are one click away, in the URL (`?status=done`).
import { useRef } from "preact/hooks";
import type { Status, Workspace } from "../../api/client";
import { dueState } from "../../lib/dates";
import { STATUSES, STATUS_LABEL, atLeast, plural, readSet } from "../../lib/labels";
import { ErrorAlert, Loading, PageTitle } from "../components/feedback";
import { Pager } from "../components/pager";
import { useHasDraft, useServices } from "../context";
import { useLoad, usePager } from "../hooks";
import { replaceQuery } from "../router";
import { useShortcut } from "../shortcuts";
import { useHiddenTasks } from "../tasks/deletes";
import { useTaskOperations } from "../tasks/operations";
import { TaskTable } from "../tasks/table";

/** The views of My tasks: the default is the open work. */
export const OPEN: Status[] = ["todo", "in_progress"];
const VIEWS: [string, string, Status[]][] = [
  ["open", "Open", OPEN],
  ["done", "Done", ["done"]],
  ["all", "All", STATUSES],
];

export function MyTasksPage({ search }: { search: string }) {
  const { api } = useServices();
  const requested = new URLSearchParams(search).get("status");
  const chosen = requested === null ? OPEN : readSet(requested, STATUSES);
  const statuses = chosen.length ? chosen : OPEN;
  const status = statuses.join(",");
  const view = VIEWS.find(([, , set]) => set.join(",") === status)?.[0];
  const pager = usePager(status);
  const heading = useRef<HTMLHeadingElement>(null);
  const ops = useTaskOperations(api, (change) => list.setData((page) => page && { ...page, items: change(page.items) }));
  const list = useLoad(() => api.myTasks({ status }, pager.cursor), [status, pager.cursor], { fresh: true, paused: ops.paused });
  // Names of the workspaces (and the caller's role in each, for who may change what).
  const workspaces = useLoad(() => api.all<Workspace>("/workspaces"), [], { fresh: true });
  const byId = new Map((workspaces.data ?? []).map((w) => [w.id, w]));
  const hidden = useHiddenTasks();
  const hasDraft = useHasDraft();
  const items = list.data?.items.filter((t) => !hidden.has(t.id)) ?? [];
  const overdue = items.filter((t) => dueState(t.due_date, t.status) === "overdue").length;
  const soon = items.filter((t) => dueState(t.due_date, t.status) === "soon").length;
  useShortcut("/", () => document.querySelector<HTMLElement>("#my-filter-status input:checked, #my-filter-status input")?.focus());

  return (
    <section>
      <PageTitle>My tasks</PageTitle>
      <p class="lead">What is assigned to you, in every workspace, earliest due first.</p>
      <form class="filters" role="search" aria-label="Filter my tasks" onSubmit={(e) => e.preventDefault()}>
        <fieldset class="segmented" id="my-filter-status">
          <legend>Show</legend>
          {VIEWS.map(([key, label, set]) => (
            <label key={key} class="segment">
              <input
                type="radio"
                name="my-status"
                checked={view === key}
                onChange={() => replaceQuery({ status: key === "open" ? null : set.join(",") }, { push: true })}
              />
              <span>{label === "Open" ? "Open (to do, in progress)" : label}</span>
            </label>
          ))}
        </fieldset>
      </form>
      <div class="list-head">
        <h2 id="list-heading" tabIndex={-1} ref={heading}>
          Assigned to you
        </h2>
        {list.loading && list.data && <Loading what="your tasks" />}
      </div>
      {/* Below the heading, with the list: content that arrives never pushes what is on screen. */}
      {list.data && (overdue > 0 || soon > 0) && (
        <p class="summary">
          {overdue > 0 && <span class="due due--overdue">{plural(overdue, "task")} overdue</span>}
          {soon > 0 && <span class="due due--soon">{plural(soon, "task")} due soon</span>}
        </p>
      )}

      {list.loading && !list.data && <Loading what="your tasks" />}
      <ErrorAlert error={list.error ?? workspaces.error}>
        <button
          type="button"
          class="button"
          onClick={() => {
            list.reload();
            workspaces.reload();
          }}
        >
          Try again
        </button>
      </ErrorAlert>
      {list.data && items.length === 0 && !list.loading && (
        <div class="empty">
          <p>
            {view === "all"
              ? "Nothing is assigned to you."
              : view === "open"
                ? "Nothing open is assigned to you."
                : `Nothing assigned to you is ${statuses.map((s) => STATUS_LABEL[s].toLowerCase()).join(" or ")}.`}
          </p>
          <p class="muted">
            Tasks assigned to you in any workspace appear here. <a href="/workspaces">Go to your workspaces</a>.
          </p>
        </div>
      )}
      {items.length > 0 && (
        <div class={list.loading ? "is-stale" : undefined}>
          <TaskTable
            caption="Tasks assigned to you"
            tasks={items}
            loading={list.loading}
            canEdit={(task) => atLeast(byId.get(task.workspace_id)?.role, "member")}
            onStatus={ops.changeStatus}
            onPriority={ops.changePriority}
            workspaceName={(id) => byId.get(id)?.name ?? (workspaces.loading ? "…" : "A workspace")}
            drafts={hasDraft}
          />
        </div>
      )}
      <Pager label="My tasks" pager={pager} nextCursor={list.data?.next_cursor} heading={heading} />
    </section>
  );
}
