// A workspace's tasks as a list: quick add, filters and sort (in the URL), status changes and
// deletes in place (optimistic, with Undo), paged, refreshed when the changes feed reports
// a change to a task or a comment (the comment counts).
import { useRef } from "preact/hooks";
import type { Priority, Status, Task, TaskSort } from "../../api/client";
import { touches } from "../../lib/changes";
import { PRIORITIES, PRIORITY_LABEL, STATUSES, STATUS_LABEL, atLeast, readSet } from "../../lib/labels";
import { Loading, RetryAlert } from "../components/feedback";
import { inputValue } from "../components/fields";
import { Pager } from "../components/pager";
import { toasts } from "../components/toasts";
import { useHasDraft, useServices } from "../context";
import { useLoad, usePager } from "../hooks";
import { replaceQuery } from "../router";
import { useShortcut } from "../shortcuts";
import { useHiddenTasks } from "../tasks/deletes";
import { useTaskOperations } from "../tasks/operations";
import { QUICK_ADD_ID, QuickAdd } from "../tasks/quick-add";
import { SearchBox, SetFilter } from "../tasks/filters";
import { TaskTable } from "../tasks/table";
import type { WorkspaceData } from "../workspace/data";
import { useChanges } from "../workspace/live";

export interface TaskFilters {
  status: Status[];
  priority: Priority[];
  label: string;
  assignee: string;
  q: string;
  sort: TaskSort | "";
}

const SORTS: TaskSort[] = ["due_date", "-priority"];

export function readFilters(search: string): TaskFilters {
  const params = new URLSearchParams(search);
  const sort = params.get("sort") as TaskSort | null;
  return {
    status: readSet(params.get("status"), STATUSES),
    priority: readSet(params.get("priority"), PRIORITIES),
    label: params.get("label") ?? "",
    assignee: params.get("assignee") ?? "",
    q: (params.get("q") ?? "").trim(),
    sort: sort && SORTS.includes(sort) ? sort : "",
  };
}

/** Whether a task just added belongs in the list as filtered (search aside: the server decides). */
const matches = (task: Task, filters: TaskFilters) =>
  (!filters.status.length || filters.status.includes(task.status)) &&
  (!filters.priority.length || filters.priority.includes(task.priority)) &&
  (!filters.label || task.labels.includes(filters.label)) &&
  (!filters.assignee || task.assignee_id === filters.assignee) &&
  !filters.q;

export function TasksPage({ data, search }: { data: WorkspaceData; search: string }) {
  const { api } = useServices();
  const { workspace, members, labels } = data;
  const canEdit = atLeast(workspace.role, "member");
  const filters = readFilters(search);
  const filtered = Boolean(filters.status.length || filters.priority.length || filters.label || filters.assignee || filters.q);
  const filterKey = `${workspace.id}|${filters.status}|${filters.priority}|${filters.label}|${filters.assignee}|${filters.q}|${filters.sort}`;
  const pager = usePager(filterKey);
  const heading = useRef<HTMLHeadingElement>(null);
  const ops = useTaskOperations(api, (change) => list.setData((page) => page && { ...page, items: change(page.items) }));
  const list = useLoad(
    () =>
      api.tasks(
        workspace.id,
        { status: filters.status.join(","), priority: filters.priority.join(","), label: filters.label, assignee_id: filters.assignee, q: filters.q, sort: filters.sort },
        pager.cursor,
      ),
    [filterKey, pager.cursor],
    { paused: ops.paused },
  );
  useChanges(workspace.id, (changes, resync) => {
    if (resync || touches(changes, "task") || touches(changes, "comment")) list.refresh();
  });
  const hidden = useHiddenTasks();
  const hasDraft = useHasDraft();
  const items = list.data?.items.filter((t) => !hidden.has(t.id)) ?? [];
  useShortcut("/", () => document.getElementById("filter-q")?.focus());

  const clearFilters = () => replaceQuery({ status: null, priority: null, label: null, assignee: null, q: null }, { push: true });
  const setFilter = (values: Record<string, string | null>, push = true) => replaceQuery(values, { push });
  const added = (task: Task) => {
    if (!matches(task, filters)) {
      toasts.show({ message: `Added “${task.title}”. The filters hide it.`, action: { label: "Clear filters", run: clearFilters } });
      return;
    }
    toasts.show({ message: `Added “${task.title}”.`, group: "added" });
    if (pager.pageNumber === 1 && !filters.sort) list.setData((page) => page && { ...page, items: [task, ...page.items] });
    else if (pager.pageNumber === 1) list.refresh();
    else pager.first();
  };

  return (
    <div>
      {canEdit ? (
        <QuickAdd
          workspaceId={workspace.id}
          members={members}
          labels={labels}
          onLabelCreated={data.addLabel}
          status={filters.status.length === 1 ? filters.status[0] : undefined}
          assignee={filters.assignee}
          onAdded={added}
        />
      ) : (
        <p class="notice">You can read this workspace's tasks, but as a viewer you cannot change them.</p>
      )}
      <form class="filters" role="search" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <SearchBox id="filter-q" label="Search" value={filters.q} />
        <SetFilter
          id="filter-status"
          legend="Status"
          values={STATUSES}
          labels={STATUS_LABEL}
          chosen={filters.status}
          any="Any status"
          onChange={(chosen: Status[], push) => setFilter({ status: chosen.join(",") || null }, push)}
        />
        <SetFilter
          id="filter-priority"
          legend="Priority"
          values={PRIORITIES}
          labels={PRIORITY_LABEL}
          chosen={filters.priority}
          any="Any priority"
          onChange={(chosen: Priority[], push) => setFilter({ priority: chosen.join(",") || null }, push)}
        />
        <div class="field">
          <label for="filter-label">Label</label>
          <select id="filter-label" value={filters.label} onChange={(e) => setFilter({ label: inputValue(e) || null })}>
            <option value="">Any label</option>
            {filters.label && !labels.some((l) => l.id === filters.label) && <option value={filters.label}>A deleted label</option>}
            {labels.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-assignee">Assignee</label>
          <select id="filter-assignee" value={filters.assignee} onChange={(e) => setFilter({ assignee: inputValue(e) || null })}>
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
          <select id="filter-sort" value={filters.sort} onChange={(e) => setFilter({ sort: inputValue(e) || null })}>
            <option value="">Newest first</option>
            <option value="due_date">Due date, earliest first</option>
            <option value="-priority">Priority, highest first</option>
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
          <p>{!filtered ? "No tasks yet." : filters.q ? `No task matches “${filters.q}” with these filters.` : "No tasks match these filters."}</p>
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
            onPriority={ops.changePriority}
            labels={canEdit || labels.length ? { all: labels, onChange: ops.changeLabels, onCreated: (label) => data.addLabel?.(label) } : undefined}
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
