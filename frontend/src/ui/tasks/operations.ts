// Changes made from a list, optimistically: the list shows the change at once, the server is
// asked, and a refusal puts it back and says why (with a way forward: reload, or it is gone).
import { useRef } from "preact/hooks";
import { ApiError, etagOf, type Api, type Priority, type Status, type Task, type TaskInput } from "../../api/client";
import { PRIORITY_LABEL, STATUS_LABEL } from "../../lib/labels";
import { messageOf } from "../components/feedback";
import { toasts } from "../components/toasts";
import { deleteWithUndo } from "./deletes";

type Update = (change: (tasks: Task[]) => Task[]) => void;

const replace = (task: Task) => (tasks: Task[]) => tasks.map((t) => (t.id === task.id ? task : t));

/** Focus for after a row leaves: the next task, else the previous one, else `fallback`. */
export function neighbourOf(taskId: string, fallback: () => HTMLElement | null): HTMLElement | null {
  const items = [...document.querySelectorAll<HTMLElement>("main [data-nav-item]")];
  const at = items.findIndex((item) => item.getAttribute("href")?.endsWith(`/tasks/${encodeURIComponent(taskId)}`));
  return (at >= 0 ? (items[at + 1] ?? items[at - 1]) : null) ?? fallback();
}

interface Outcome {
  saved?: Task;
  error?: unknown;
  /** The version the change was sent against. */
  current: Task;
  /** No later change of this task is waiting: what is on screen can be settled. */
  last: boolean;
}

/** Changes of one task go to the server one after another, each with the ETag of the version
 * the one before produced: two quick changes never refuse each other with a 412. */
export function useSerialChanges() {
  const latest = useRef(new Map<string, Task>());
  const queues = useRef(new Map<string, Promise<void>>());
  const inFlight = useRef(0);
  const enqueue = (task: Task, send: (current: Task) => Promise<Task>, settle: (outcome: Outcome) => void) => {
    inFlight.current++;
    const run: Promise<void> = (queues.current.get(task.id) ?? Promise.resolve()).then(async () => {
      const current = latest.current.get(task.id) ?? task;
      let outcome: Omit<Outcome, "last">;
      try {
        const saved = await send(current);
        latest.current.set(task.id, saved);
        outcome = { saved, current };
      } catch (error) {
        outcome = { error, current };
      }
      const last = queues.current.get(task.id) === run;
      if (last) {
        queues.current.delete(task.id);
        latest.current.delete(task.id);
      }
      inFlight.current--;
      settle({ ...outcome, last });
    });
    queues.current.set(task.id, run);
  };
  return { enqueue, busy: () => inFlight.current > 0 };
}

export function useTaskOperations(api: Api, update: Update) {
  const serial = useSerialChanges();

  const failed = (task: Task, error: unknown, what: string) => {
    if (error instanceof ApiError && error.isGone) {
      update((tasks) => tasks.filter((t) => t.id !== task.id));
      toasts.show({ tone: "error", message: `“${task.title}” was deleted by someone else, so ${what} was not saved.` });
      return;
    }
    const conflict = error instanceof ApiError && error.isConflict;
    if (!conflict && error instanceof ApiError && error.status === 422 && error.errors.assignee_id) {
      toasts.show({ tone: "error", message: `${what[0].toUpperCase()}${what.slice(1)} was not saved: “${task.title}” is assigned to someone who has left the workspace. Open it to choose a member or Nobody.` });
      return;
    }
    toasts.show({
      tone: "error",
      message: conflict ? `Someone else changed “${task.title}” since you loaded it, so ${what} was not saved.` : `${what[0].toUpperCase()}${what.slice(1)} was not saved: ${messageOf(error)}`,
      action: conflict
        ? {
            label: "Reload the task",
            run: () => {
              api.task(task.workspace_id, task.id).then(
                ({ data }) => update(replace(data)),
                (reloadError: unknown) => failed(task, reloadError, "the reload"),
              );
            },
          }
        : undefined,
    });
  };

  /** One change from a list: shown at once, sent, put back if refused. */
  const change = (task: Task, fields: Partial<TaskInput>, what: string, done: string | null) => {
    update(replace({ ...task, ...fields }));
    serial.enqueue(
      task,
      async (current) => (await api.updateTask(task.workspace_id, task.id, fields, etagOf(current))).data,
      ({ saved, error, current, last }) => {
        if (saved) {
          if (last) update(replace(saved));
          if (done) toasts.show({ message: done });
        } else {
          if (last) update(replace(current));
          failed(current, error, what);
        }
      },
    );
  };
  const changeStatus = (task: Task, status: Status) => change(task, { status }, "the status change", `“${task.title}” is now ${STATUS_LABEL[status]}.`);
  const changePriority = (task: Task, priority: Priority) => change(task, { priority }, "the priority change", `“${task.title}” is now ${PRIORITY_LABEL[priority]}.`);
  // Labels are ticked one by one in the open picker: the list shows each at once, without a toast each.
  const changeLabels = (task: Task, labels: string[]) => change(task, { labels }, "the label change", null);

  const remove = (task: Task, fallbackFocus: () => HTMLElement | null) => {
    neighbourOf(task.id, fallbackFocus)?.focus();
    deleteWithUndo(api, task);
  };

  return { changeStatus, changePriority, changeLabels, remove, paused: serial.busy };
}
