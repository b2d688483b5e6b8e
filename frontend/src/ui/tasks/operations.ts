// Changes made from a list, optimistically: the list shows the change at once, the server is
// asked, and a refusal puts it back and says why (with a way forward: reload, or it is gone).
import { useRef } from "preact/hooks";
import { ApiError, etagOf, type Api, type Status, type Task } from "../../api/client";
import { STATUS_LABEL } from "../../lib/labels";
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

export function useTaskOperations(api: Api, update: Update) {
  const inFlight = useRef(0);

  const failed = (task: Task, error: unknown, what: string) => {
    if (error instanceof ApiError && error.isGone) {
      update((tasks) => tasks.filter((t) => t.id !== task.id));
      toasts.show({ tone: "error", message: `“${task.title}” was deleted by someone else, so ${what} was not saved.` });
      return;
    }
    const conflict = error instanceof ApiError && error.isConflict;
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

  const changeStatus = async (task: Task, status: Status) => {
    update(replace({ ...task, status }));
    inFlight.current++;
    try {
      const { data } = await api.updateTask(task.workspace_id, task.id, { status }, etagOf(task));
      update(replace(data));
      toasts.show({ message: `“${task.title}” is now ${STATUS_LABEL[status]}.` });
    } catch (error) {
      update(replace(task));
      failed(task, error, "the status change");
    } finally {
      inFlight.current--;
    }
  };

  const remove = (task: Task, fallbackFocus: () => HTMLElement | null) => {
    neighbourOf(task.id, fallbackFocus)?.focus();
    deleteWithUndo(api, task);
  };

  return { changeStatus, remove, paused: () => inFlight.current > 0 };
}
