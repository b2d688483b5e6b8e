// Deleting a task with Undo instead of "are you sure?": the task leaves every list at once, a
// toast offers Undo for a few seconds, and the DELETE is sent when the toast ends, when the
// user moves to another page, or when the tab is hidden or closed (then with keepalive).
import { ApiError, etagOf, type Api, type Task } from "../../api/client";
import { createStore, useStore } from "../../lib/store";
import { messageOf } from "../components/feedback";
import { toasts } from "../components/toasts";

export const UNDO_MS = 6000;

/** Tasks that lists must not show: deletes waiting for their toast, and deletes done. */
const hidden = createStore<ReadonlySet<string>>(new Set());
const waiting = new Map<string, { toast: number; send: (keepalive: boolean) => void; undo: () => void }>();
const order: string[] = [];

function hide(id: string, on: boolean): void {
  const next = new Set(hidden.get());
  if (on) next.add(id);
  else next.delete(id);
  hidden.set(next);
}

export function useHiddenTasks(): ReadonlySet<string> {
  return useStore(hidden);
}

export function deleteWithUndo(api: Api, task: Task, options: { etag?: string; onUndo?: () => void } = {}): void {
  hide(task.id, true);
  const forget = () => {
    waiting.delete(task.id);
    order.splice(order.indexOf(task.id), 1);
  };
  const send = (keepalive: boolean) => {
    forget();
    api.deleteTask(task.workspace_id, task.id, options.etag ?? etagOf(task), { keepalive }).catch((error: unknown) => {
      if (error instanceof ApiError && error.isGone) return; // someone else deleted it first
      hide(task.id, false);
      const why = error instanceof ApiError && error.isConflict ? "someone else changed it meanwhile" : messageOf(error);
      toasts.show({ tone: "error", message: `“${task.title}” was not deleted: ${why}.` });
    });
  };
  const undo = () => {
    forget();
    hide(task.id, false);
    toasts.show({ message: `Restored “${task.title}”.` });
    options.onUndo?.();
  };
  const toast = toasts.show({
    message: `Deleted “${task.title}”.`,
    action: { label: "Undo", run: undo },
    duration: UNDO_MS,
    onExpire: () => send(false),
  });
  waiting.set(task.id, { toast, send, undo });
  order.push(task.id);
}

/** The user left the page (or the tab): send every waiting delete now. */
export function sendWaitingDeletes(keepalive = false): void {
  for (const [, entry] of [...waiting]) {
    toasts.dismiss(entry.toast);
    entry.send(keepalive);
  }
}

/** z: undo the most recent delete that is still waiting. */
export function undoLastDelete(): boolean {
  const id = order[order.length - 1];
  const entry = id ? waiting.get(id) : undefined;
  if (!entry) return false;
  toasts.dismiss(entry.toast);
  entry.undo();
  return true;
}
