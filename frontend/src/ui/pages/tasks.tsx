// Tasks: filtered, paged list; create; inline status change and delete; the edit page with its
// 412 handling.
import { useState } from "preact/hooks";
import { ApiError, etagOf, type Member, type Status as TaskStatus, type Task, type TaskInput } from "../../api/client";
import { navigate } from "../router";
import { ErrorAlert, Loading, PageTitle, Pager, Status, atLeast, formatTime, useAction, useLoad, usePager } from "../common";
import { useServices } from "../context";
import { memberName, useWorkspace, type WorkspaceData } from "./workspace";

export const STATUS_LABEL: Record<TaskStatus, string> = { todo: "To do", in_progress: "In progress", done: "Done" };
const STATUSES = Object.keys(STATUS_LABEL) as TaskStatus[];

function inputValue(event: Event): string {
  return (event.currentTarget as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
}

function ConflictNotice({ error, what, onReload }: { error: unknown; what: string; onReload: () => void }) {
  if (!(error instanceof ApiError) || error.status !== 412) return <ErrorAlert error={error} />;
  return (
    <div class="alert" role="alert">
      <p>
        Someone else changed {what} since you loaded it, so your change was not saved. Reload to see
        their version, then make your change again.
      </p>
      <p class="muted small">{error.detail}</p>
      <button type="button" onClick={onReload}>
        Reload {what}
      </button>
    </div>
  );
}

function TaskFields({ idPrefix, value, onChange, members }: { idPrefix: string; value: TaskInput; onChange: (v: TaskInput) => void; members: Member[] }) {
  const set = (key: keyof TaskInput) => (event: Event) => {
    const raw = inputValue(event);
    onChange({ ...value, [key]: (key === "due_date" || key === "assignee_id") && raw === "" ? null : raw });
  };
  return (
    <div class="fields">
      <label for={`${idPrefix}-title`}>Title</label>
      <input id={`${idPrefix}-title`} required maxLength={200} value={value.title} onInput={set("title")} />
      <label for={`${idPrefix}-description`}>Description</label>
      <textarea id={`${idPrefix}-description`} maxLength={10000} rows={3} value={value.description} onInput={set("description")} />
      <div class="row">
        <div>
          <label for={`${idPrefix}-status`}>Status</label>
          <select id={`${idPrefix}-status`} value={value.status} onChange={set("status")}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for={`${idPrefix}-due`}>Due date</label>
          <input id={`${idPrefix}-due`} type="date" value={value.due_date ?? ""} onInput={set("due_date")} />
        </div>
        <div>
          <label for={`${idPrefix}-assignee`}>Assignee</label>
          <select id={`${idPrefix}-assignee`} value={value.assignee_id ?? ""} onChange={set("assignee_id")}>
            <option value="">Nobody</option>
            {members.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.email}
              </option>
            ))}
          </select>
        </div>
      </div>
    </div>
  );
}

const EMPTY_TASK: TaskInput = { title: "", description: "", status: "todo", due_date: null, assignee_id: null };

export function TasksSection({ data }: { data: WorkspaceData }) {
  const { api } = useServices();
  const { workspace, members } = data;
  const canEdit = atLeast(workspace.role, "member");
  const [statusFilter, setStatusFilter] = useState<TaskStatus | "">("");
  const [assigneeFilter, setAssigneeFilter] = useState("");
  const filterKey = `${workspace.id}|${statusFilter}|${assigneeFilter}`;
  const pager = usePager(filterKey);
  const list = useLoad(
    () => api.tasks(workspace.id, { status: statusFilter, assignee_id: assigneeFilter }, pager.cursor),
    [filterKey, pager.cursor],
  );
  const [draft, setDraft] = useState<TaskInput>(EMPTY_TASK);
  const [message, setMessage] = useState<string | null>(null);
  const create = useAction();

  return (
    <div>
      <h2>Tasks</h2>
      {!canEdit && <p class="notice">You can read this workspace's tasks, but as a viewer you cannot change them.</p>}
      <form class="filters" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="filter-status">Filter by status</label>
          <select id="filter-status" value={statusFilter} onChange={(e) => setStatusFilter(inputValue(e) as TaskStatus | "")}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="filter-assignee">Filter by assignee</label>
          <select id="filter-assignee" value={assigneeFilter} onChange={(e) => setAssigneeFilter(inputValue(e))}>
            <option value="">Anyone</option>
            {members.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.email}
              </option>
            ))}
          </select>
        </div>
      </form>
      <Status message={message} />
      {list.loading && !list.data && <Loading what="tasks" />}
      <ErrorAlert error={list.error}>
        <button type="button" onClick={list.reload}>Try again</button>
      </ErrorAlert>
      {list.data && list.data.items.length === 0 && <p>No tasks{statusFilter || assigneeFilter ? " match these filters" : " yet"}.</p>}
      {list.data && list.data.items.length > 0 && (
        <table class="tasks">
          <caption class="visually-hidden">Tasks</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Assignee</th>
              <th scope="col">Due</th>
              {canEdit && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((task) => (
              <TaskRow key={`${task.id}:${task.version}`} task={task} members={members} canEdit={canEdit} onChanged={(text) => { setMessage(text); list.reload(); }} />
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Tasks" pageNumber={pager.pageNumber} nextCursor={list.data?.next_cursor} onNext={pager.next} onPrevious={pager.previous} />

      {canEdit && list.data && (
        <form
          class="panel"
          aria-labelledby="new-task-heading"
          onSubmit={(event) => {
            event.preventDefault();
            void create.run(async () => {
              const { data: task } = await api.createTask(workspace.id, { ...draft, title: draft.title.trim() });
              setDraft(EMPTY_TASK);
              setMessage(`Added “${task.title}”.`);
              if (pager.pageNumber === 1) list.reload();
              else pager.first();
            });
          }}
        >
          <h3 id="new-task-heading">New task</h3>
          <TaskFields idPrefix="new-task" value={draft} onChange={setDraft} members={members} />
          <button type="submit" disabled={create.busy}>Add task</button>
          <ErrorAlert error={create.error} />
        </form>
      )}
    </div>
  );
}

function TaskRow({ task, members, canEdit, onChanged }: { task: Task; members: Member[]; canEdit: boolean; onChanged: (message: string) => void }) {
  const { api } = useServices();
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const href = `/workspaces/${encodeURIComponent(task.workspace_id)}/tasks/${encodeURIComponent(task.id)}`;
  return (
    <tr>
      <td>
        <a href={href}>{task.title}</a>
      </td>
      <td>
        {canEdit ? (
          <select
            aria-label={`Status of ${task.title}`}
            value={task.status}
            disabled={action.busy}
            onChange={(event) => {
              const status = inputValue(event) as TaskStatus;
              void action.run(async () => {
                await api.updateTask(task.workspace_id, task.id, { status }, etagOf(task));
                onChanged(`“${task.title}” is now ${STATUS_LABEL[status]}.`);
              });
            }}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        ) : (
          <span class={`status-${task.status}`}>{STATUS_LABEL[task.status]}</span>
        )}
        {action.error !== null && <ConflictNotice error={action.error} what="this task" onReload={() => onChanged(`Reloaded the tasks.`)} />}
      </td>
      <td>{memberName(members, task.assignee_id)}</td>
      <td>{task.due_date ?? "—"}</td>
      {canEdit && (
        <td class="actions">
          {!confirming ? (
            <button type="button" class="danger" aria-label={`Delete ${task.title}`} onClick={() => setConfirming(true)}>
              Delete
            </button>
          ) : (
            <span role="group" aria-label={`Confirm deleting ${task.title}`}>
              <button
                type="button"
                class="danger"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await api.deleteTask(task.workspace_id, task.id, etagOf(task));
                    onChanged(`Deleted “${task.title}”.`);
                  })
                }
              >
                Confirm delete
              </button>
              <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
            </span>
          )}
        </td>
      )}
    </tr>
  );
}

function toInput(task: Task): TaskInput {
  return { title: task.title, description: task.description, status: task.status, due_date: task.due_date, assignee_id: task.assignee_id };
}

export function TaskPage({ workspaceId, taskId }: { workspaceId: string; taskId: string }) {
  const { api } = useServices();
  const ws = useWorkspace(workspaceId);
  const loaded = useLoad(() => api.task(workspaceId, taskId), [workspaceId, taskId]);
  const [draft, setDraft] = useState<TaskInput | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const save = useAction();
  const [confirming, setConfirming] = useState(false);
  const task = loaded.data?.data;
  const form = draft ?? (task ? toInput(task) : null);
  const canEdit = ws.data ? atLeast(ws.data.workspace.role, "member") : false;
  const back = `/workspaces/${encodeURIComponent(workspaceId)}`;

  const reload = () => {
    setDraft(null);
    save.setError(null);
    setMessage("Loaded the latest version of the task.");
    loaded.reload();
  };

  return (
    <section>
      <p class="crumbs">
        <a href="/workspaces">Workspaces</a> › <a href={back}>{ws.data?.workspace.name ?? "Workspace"}</a>
      </p>
      <PageTitle>{task ? task.title : "Task"}</PageTitle>
      {(loaded.loading || ws.loading) && !task && <Loading what="the task" />}
      <ErrorAlert error={loaded.error ?? ws.error} />
      <Status message={message} />
      {task && form && ws.data && (
        <>
          <p class="muted small">
            Created {formatTime(task.created_at)} by {memberName(ws.data.members, task.created_by)} · updated {formatTime(task.updated_at)} · version {task.version}
          </p>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              const changes: Partial<TaskInput> = {};
              const original = toInput(task);
              for (const key of Object.keys(form) as (keyof TaskInput)[]) {
                if (form[key] !== original[key]) (changes as Record<string, unknown>)[key] = form[key];
              }
              if (Object.keys(changes).length === 0) {
                setMessage("Nothing to save: no field was changed.");
                return;
              }
              void save.run(async () => {
                const updated = await api.updateTask(workspaceId, taskId, changes, loaded.data!.etag);
                loaded.setData(updated);
                setDraft(null);
                setMessage("Saved.");
              });
            }}
          >
            <fieldset disabled={!canEdit}>
              <legend>{canEdit ? "Edit the task" : "The task (read only: viewers cannot change tasks)"}</legend>
              <TaskFields idPrefix="task" value={form} onChange={setDraft} members={ws.data.members} />
            </fieldset>
            {canEdit && (
              <div class="actions">
                <button type="submit" disabled={save.busy}>Save changes</button>
                {!confirming ? (
                  <button type="button" class="danger" onClick={() => setConfirming(true)}>
                    Delete task
                  </button>
                ) : (
                  <span role="group" aria-label="Confirm deleting the task">
                    <button
                      type="button"
                      class="danger"
                      onClick={() =>
                        void save.run(async () => {
                          await api.deleteTask(workspaceId, taskId, loaded.data!.etag);
                          navigate(back);
                        })
                      }
                    >
                      Confirm delete
                    </button>
                    <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
                  </span>
                )}
              </div>
            )}
          </form>
          <ConflictNotice error={save.error} what="the task" onReload={reload} />
        </>
      )}
    </section>
  );
}
