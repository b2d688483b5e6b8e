// A workspace's tasks as a board: one column per status, earliest due first. A task moves by
// dragging it, by its arrow buttons, or with Shift + Left / Right on a focused card; the move
// shows at once and is undone if the server refuses it.
import { useState } from "preact/hooks";
import { ApiError, etagOf, type Page, type Status, type Task } from "../../api/client";
import { touches } from "../../lib/changes";
import { STATUSES, STATUS_LABEL, atLeast } from "../../lib/labels";
import { CommentCount, DueDate } from "../components/chips";
import { Loading, RetryAlert, messageOf } from "../components/feedback";
import { Icon } from "../components/icons";
import { toasts } from "../components/toasts";
import { useServices } from "../context";
import { useLoad } from "../hooks";
import { paths } from "../router";
import { useHiddenTasks } from "../tasks/deletes";
import { useSerialChanges } from "../tasks/operations";
import { QuickAdd } from "../tasks/quick-add";
import { memberName, type WorkspaceData } from "../workspace/data";
import { useChanges } from "../workspace/live";

type Columns = Record<Status, Page<Task>>;
const COLUMN_SIZE = 50;

function without(columns: Columns, task: Task): Columns {
  const next = { ...columns };
  for (const s of STATUSES) next[s] = { ...next[s], items: next[s].items.filter((t) => t.id !== task.id) };
  return next;
}

/** Puts the task in its status's column, in due-date order (no date last), as the API sorts. */
function placed(columns: Columns, task: Task): Columns {
  const next = without(columns, task);
  const items = [...next[task.status].items];
  const key = (t: Task) => t.due_date ?? "9999-99-99";
  const at = items.findIndex((t) => key(t) > key(task));
  items.splice(at < 0 ? items.length : at, 0, task);
  next[task.status] = { ...next[task.status], items };
  return next;
}

export function BoardPage({ data }: { data: WorkspaceData }) {
  const { api } = useServices();
  const { workspace, members } = data;
  const canEdit = atLeast(workspace.role, "member");
  const serial = useSerialChanges();
  const [dropTarget, setDropTarget] = useState<Status | null>(null);
  const hidden = useHiddenTasks();
  const board = useLoad(
    async (): Promise<Columns> => {
      const pages = await Promise.all(STATUSES.map((status) => api.tasks(workspace.id, { status, sort: "due_date" }, null, COLUMN_SIZE)));
      return Object.fromEntries(STATUSES.map((s, i) => [s, pages[i]])) as Columns;
    },
    [workspace.id],
    { paused: serial.busy },
  );
  useChanges(workspace.id, (changes, resync) => {
    if (resync || touches(changes, "task") || touches(changes, "comment")) board.refresh();
  });
  const update = (change: (columns: Columns) => Columns) => board.setData((columns) => columns && change(columns));

  const move = (task: Task, status: Status, focus: "link" | "left" | "right" = "link") => {
    if (task.status === status || !canEdit) return;
    update((columns) => placed(columns, { ...task, status }));
    setTimeout(() => {
      const card = document.querySelector(`[data-card="${CSS.escape(task.id)}"]`);
      ((card?.querySelector(`.move-${focus}`) ?? card?.querySelector(".task-link")) as HTMLElement | null)?.focus();
    }, 0);
    serial.enqueue(
      task,
      async (current) => (await api.updateTask(task.workspace_id, task.id, { status }, etagOf(current))).data,
      ({ saved, error, current, last }) => {
        if (saved) {
          if (last) update((columns) => placed(columns, saved));
          toasts.show({ message: `Moved “${task.title}” to ${STATUS_LABEL[status]}.` });
          return;
        }
        const gone = error instanceof ApiError && error.isGone;
        if (gone) update((columns) => without(columns, task));
        else if (last) update((columns) => placed(columns, current));
        const why = gone ? "it was deleted by someone else" : error instanceof ApiError && error.isConflict ? "someone else changed it meanwhile; the board now shows their version" : messageOf(error);
        toasts.show({ tone: "error", message: `“${task.title}” was not moved: ${why}.` });
        if (!gone && error instanceof ApiError && error.isConflict) board.refresh();
      },
    );
  };

  const more = async (status: Status, cursor: string) => {
    try {
      const page = await api.tasks(workspace.id, { status, sort: "due_date" }, cursor, COLUMN_SIZE);
      update((columns) => ({ ...columns, [status]: { items: [...columns[status].items, ...page.items], next_cursor: page.next_cursor } }));
    } catch (error) {
      toasts.show({ tone: "error", message: `More tasks could not be loaded: ${messageOf(error)}` });
    }
  };

  const columns = board.data;
  const find = (id: string) => (columns ? STATUSES.flatMap((s) => columns[s].items).find((t) => t.id === id) : undefined);

  return (
    <div>
      {canEdit ? (
        <QuickAdd workspaceId={workspace.id} members={members} onAdded={(task) => update((c) => placed(c, task))} />
      ) : (
        <p class="notice">You can read this board, but as a viewer you cannot move tasks.</p>
      )}
      <h2 class="visually-hidden">Board</h2>
      {board.loading && !columns && <Loading what="the board" />}
      <RetryAlert error={board.error} retry={board.reload} />
      {columns && (
        <div class="board">
          {STATUSES.map((status, index) => {
            const items = columns[status].items.filter((t) => !hidden.has(t.id));
            const left = STATUSES[index - 1];
            const right = STATUSES[index + 1];
            return (
              <section
                key={status}
                class={`column column--${status}${dropTarget === status ? " is-target" : ""}`}
                aria-labelledby={`column-${status}`}
                onDragOver={(event) => {
                  if (!canEdit) return;
                  event.preventDefault();
                  setDropTarget(status);
                }}
                onDragLeave={() => setDropTarget((s) => (s === status ? null : s))}
                onDrop={(event) => {
                  event.preventDefault();
                  setDropTarget(null);
                  const task = find(event.dataTransfer?.getData("text/plain") ?? "");
                  if (task) move(task, status);
                }}
              >
                <h3 id={`column-${status}`}>
                  <Icon name={status} />
                  {STATUS_LABEL[status]}
                  <span class="count">
                    {items.length}
                    {columns[status].next_cursor ? "+" : ""}
                  </span>
                </h3>
                <ul class="cards">
                  {items.map((task) => (
                    <li
                      key={task.id}
                      class="card task-card"
                      data-card={task.id}
                      draggable={canEdit}
                      onDragStart={(event) => {
                        event.dataTransfer?.setData("text/plain", task.id);
                        if (event.dataTransfer) event.dataTransfer.effectAllowed = "move";
                      }}
                      onKeyDown={(event) => {
                        if (!event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
                        const to = event.key === "ArrowLeft" ? left : event.key === "ArrowRight" ? right : undefined;
                        if (!to) return;
                        event.preventDefault();
                        move(task, to);
                      }}
                    >
                      <a href={paths.task(task.workspace_id, task.id)} class="task-link" data-nav-item>
                        {task.title}
                      </a>
                      <div class="card-meta">
                        <DueDate due={task.due_date} status={task.status} id={`board-${task.id}`} />
                        <CommentCount count={task.comment_count} />
                        {task.assignee_id && (
                          <span class="person">
                            <Icon name="person" />
                            {memberName(members, task.assignee_id)}
                          </span>
                        )}
                      </div>
                      {canEdit && (
                        <div class="card-moves">
                          {left && (
                            <button type="button" class="icon-button move-left" aria-label={`Move ${task.title} to ${STATUS_LABEL[left]}`} onClick={() => move(task, left, "left")}>
                              <Icon name="left" />
                            </button>
                          )}
                          {right && (
                            <button type="button" class="icon-button move-right" aria-label={`Move ${task.title} to ${STATUS_LABEL[right]}`} onClick={() => move(task, right, "right")}>
                              <Icon name="right" />
                            </button>
                          )}
                        </div>
                      )}
                    </li>
                  ))}
                </ul>
                {items.length === 0 && <p class="muted column-empty">No tasks</p>}
                {columns[status].next_cursor && (
                  <button type="button" class="button button--ghost" onClick={() => void more(status, columns[status].next_cursor!)}>
                    Show more
                  </button>
                )}
              </section>
            );
          })}
        </div>
      )}
    </div>
  );
}
