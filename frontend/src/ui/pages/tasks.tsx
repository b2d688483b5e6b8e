// A workspace's tasks as a list: quick add, filters and sort (in the URL), status changes and
// deletes in place (optimistic, with Undo), paged, refreshed when the changes feed reports
// a change to a task or a comment (the comment counts).
import { useRef } from "preact/hooks";
import type { Status, Task, TaskSort } from "../../api/client";
import { touches } from "../../lib/changes";
import { STATUSES, STATUS_LABEL, atLeast } from "../../lib/labels";
import { Loading, RetryAlert } from "../components/feedback";
import { inputValue } from "../components/fields";
import { Pager } from "../components/pager";
import { Options } from "../components/table";
import { toasts } from "../components/toasts";
import { useHasDraft, useServices } from "../context";
import { useLoad, usePager } from "../hooks";
import { replaceQuery } from "../router";
import { useShortcut } from "../shortcuts";
import { useHiddenTasks } from "../tasks/deletes";
import { useTaskOperations } from "../tasks/operations";
import { QUICK_ADD_ID, QuickAdd } from "../tasks/quick-add";
import { TaskTable } from "../tasks/table";
import type { WorkspaceData } from "../workspace/data";
import { useChanges } from "../workspace/live";

export interface TaskFilters {
  status: Status | "";
  assignee: string;
  sort: TaskSort | "";
}

export function readFilters(search: string): TaskFilters {
  const params = new URLSearchParams(search);
  const status = params.get("status") as Status | null;
  return {
    status: status && STATUSES.includes(status) ? status : "",
    assignee: params.get("assignee") ?? "",
    sort: params.get("sort") === "due_date" ? "due_date" : "",
  };
}

const matches = (task: Task, filters: TaskFilters) =>
  (!filters.status || task.status === filters.status) && (!filters.assignee || task.assignee_id === filters.assignee);

export function TasksPage({ data, search }: { data: WorkspaceData; search: string }) {
  const { api } = useServices();
  const { workspace, members } = data;
  const canEdit = atLeast(workspace.role, "member");
  const filters = readFilters(search);
  const filtered = Boolean(filters.status || filters.assignee);
  const filterKey = `${workspace.id}|${filters.status}|${filters.assignee}|${filters.sort}`;
  const pager = usePager(filterKey);
  const heading = useRef<HTMLHeadingElement>(null);
  const ops = useTaskOperations(api, (change) => list.setData((page) => page && { ...page, items: change(page.items) }));
  const list = useLoad(
    () => api.tasks(workspace.id, { status: filters.status, assignee_id: filters.assignee, sort: filters.sort }, pager.cursor),
    [filterKey, pager.cursor],
    { paused: ops.paused },
  );
  useChanges(workspace.id, (changes, resync) => {
    if (resync || touches(changes, "task") || touches(changes, "comment")) list.refresh();
  });
  const hidden = useHiddenTasks();
  const hasDraft = useHasDraft();
  const items = list.data?.items.filter((t) => !hidden.has(t.id)) ?? [];
  useShortcut("/", () => document.getElementById("filter-status")?.focus());

  const clearFilters = () => replaceQuery({ status: null, assignee: null });
  const added = (task: Task) => {
    if (!matches(task, filters)) {
      toasts.show({ message: `Added “${task.title}”. The filters hide it.`, action: { label: "Clear filters", run: clearFilters } });
      return;
    }
    toasts.show({ message: `Added “${task.title}”.` });
    if (pager.pageNumber === 1 && !filters.sort) list.setData((page) => page && { ...page, items: [task, ...page.items] });
    else if (pager.pageNumber === 1) list.refresh();
    else pager.first();
  };

  return (
    <div>
      {canEdit ? (
        <QuickAdd workspaceId={workspace.id} members={members} status={filters.status || undefined} assignee={filters.assignee} onAdded={added} />
      ) : (
        <p class="notice">You can read this workspace's tasks, but as a viewer you cannot change them.</p>
      )}
      <form class="filters" role="search" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" value={filters.status} onChange={(e) => replaceQuery({ status: inputValue(e) })}>
            <Options values={STATUSES} labels={STATUS_LABEL} any="Any status" />
          </select>
        </div>
        <div class="field">
          <label for="filter-assignee">Assignee</label>
          <select id="filter-assignee" value={filters.assignee} onChange={(e) => replaceQuery({ assignee: inputValue(e) })}>
            <option value="">Anyone</option>
            {filters.assignee && !members.some((m) => m.user_id === filters.assignee) && <option value={filters.assignee}>Former member</option>}
            {members.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.email}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-sort">Sort</label>
          <select id="filter-sort" value={filters.sort} onChange={(e) => replaceQuery({ sort: inputValue(e) })}>
            <option value="">Newest first</option>
            <option value="due_date">Due date, earliest first</option>
          </select>
        </div>
        {filtered && (
          <button type="button" class="button button--ghost" onClick={clearFilters}>
            Clear filters
          </button>
        )}
      </form>
      <div class="list-head">
        <h2 id="list-heading" tabIndex={-1} ref={heading}>
          Tasks
        </h2>
        {list.loading && list.data && <Loading what="tasks" />}
      </div>
      {list.loading && !list.data && <Loading what="tasks" />}
      <RetryAlert error={list.error} retry={list.reload} />
      {list.data && items.length === 0 && !list.loading && (
        <div class="empty">
          <p>{filtered ? "No tasks match these filters." : "No tasks yet."}</p>
          {filtered ? (
            <button type="button" class="button" onClick={clearFilters}>
              Clear filters
            </button>
          ) : (
            canEdit && <p class="muted">Add the first one above, or press c.</p>
          )}
        </div>
      )}
      {items.length > 0 && (
        <div class={list.loading ? "is-stale" : undefined}>
          <TaskTable
            caption="Tasks"
            tasks={items}
            loading={list.loading}
            canEdit={() => canEdit}
            onStatus={ops.changeStatus}
            onDelete={(task) => ops.remove(task, () => document.getElementById(QUICK_ADD_ID) ?? heading.current)}
            members={members}
            drafts={hasDraft}
          />
        </div>
      )}
      <Pager label="Tasks" pager={pager} nextCursor={list.data?.next_cursor} heading={heading} />
    </div>
  );
}
