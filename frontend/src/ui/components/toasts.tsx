// Toasts: short messages at the corner of the screen (success, and errors that belong to no
// form), some with an action such as Undo. They stay while the pointer or focus is on them, and
// errors stay until dismissed.
import { useEffect, useState } from "preact/hooks";
import { createStore, useStore } from "../../lib/store";
import { Icon } from "./icons";

export interface ToastOptions {
  message: string;
  tone?: "success" | "error";
  action?: { label: string; run: () => void };
  /** Milliseconds on screen; errors default to "until dismissed". */
  duration?: number | null;
  /** Called when the toast times out (not when it is dismissed, or its action is used). */
  onExpire?: () => void;
  /** Toasts of one group merge into one that counts them ("Added 19 tasks"). */
  group?: string;
}

interface Toast extends ToastOptions {
  id: number;
  /** How many toasts of its group this one stands for. */
  count: number;
}

export const TOAST_MS = 5000;
/** At most this many on screen: more would climb over the page's header and controls. */
export const MAX_TOASTS = 3;

/** What a group of merged toasts says. */
const GROUPS: Record<string, (count: number, last: string) => string> = {
  added: (n, last) => `Added ${n} tasks, the last ${last}.`,
  "board-move": (n) => `Moved ${n} tasks.`,
};
const quoted = (message: string) => /“.*”/.exec(message)?.[0] ?? "";
const store = createStore<Toast[]>([]);
let nextId = 1;

export const toasts = {
  show(options: ToastOptions): number {
    const toast: Toast = { duration: options.tone === "error" ? null : TOAST_MS, ...options, id: nextId++, count: 1 };
    if (toast.tone === "error") toasts.clearSuccesses();
    const earlier = toast.group ? store.get().find((t) => t.group === toast.group) : undefined;
    if (earlier && toast.group) {
      // One toast for the group, counting, with its timer started again.
      toast.count = earlier.count + 1;
      toast.message = GROUPS[toast.group]?.(toast.count, quoted(options.message)) ?? options.message;
    }
    // A newer plain toast with the same text replaces the older one (never one with an action).
    const same = (t: Toast) => t === earlier || (t.message === toast.message && !t.action && !t.onExpire);
    const list = [...store.get().filter((t) => !same(t)), toast];
    // Beyond the most that may show, the oldest go: plain news first, then the rest as if
    // they had timed out (an Undo's delete then goes ahead, as it would have).
    while (list.length > MAX_TOASTS) {
      const plain = list.findIndex((t) => t.tone !== "error" && !t.action && !t.onExpire);
      const [gone] = list.splice(plain >= 0 && plain < list.length - 1 ? plain : 0, 1);
      gone.onExpire?.();
    }
    store.set(list);
    return toast.id;
  },
  dismiss(id: number): void {
    store.set(store.get().filter((t) => t.id !== id));
  },
  /** Ends it as if it had timed out (its onExpire runs). */
  expire(id: number): void {
    const toast = store.get().find((t) => t.id === id);
    toasts.dismiss(id);
    toast?.onExpire?.();
  },
  /** A new error makes earlier good news stale (toasts with an action, such as Undo, stay). */
  clearSuccesses(): void {
    store.set(store.get().filter((t) => t.tone === "error" || t.action || t.onExpire));
  },
  /** Errors on screen are out of date once the user moves to another page. */
  clearErrors(): void {
    store.set(store.get().filter((t) => t.tone !== "error"));
  },
};

function ToastItem({ toast }: { toast: Toast }) {
  const [held, setHeld] = useState(0);
  useEffect(() => {
    if (held > 0 || toast.duration == null) return;
    const timer = setTimeout(() => toasts.expire(toast.id), toast.duration);
    return () => clearTimeout(timer);
  }, [held, toast.id, toast.duration]);
  const hold = () => setHeld((n) => n + 1);
  const release = () => setHeld((n) => Math.max(0, n - 1));
  return (
    <div class={`toast toast--${toast.tone ?? "success"}`} onMouseEnter={hold} onMouseLeave={release} onFocusIn={hold} onFocusOut={release}>
      <Icon name={toast.tone === "error" ? "alert" : "check"} />
      <p>{toast.message}</p>
      {toast.action && (
        <button
          type="button"
          class="button button--ghost"
          onClick={() => {
            toasts.dismiss(toast.id);
            toast.action!.run();
          }}
        >
          {toast.action.label}
        </button>
      )}
      <button type="button" class="icon-button" aria-label={`Dismiss: ${toast.message}`} onClick={() => toasts.dismiss(toast.id)}>
        <Icon name="close" />
      </button>
    </div>
  );
}

/** Always in the page, so that screen readers announce what is added to it. */
export function ToastHost() {
  const list = useStore(store);
  return (
    <section class="toasts" aria-label="Notifications">
      <div role="status">
        {list.filter((t) => t.tone !== "error").map((t) => (
          <ToastItem key={t.id} toast={t} />
        ))}
      </div>
      <div role="alert">
        {list.filter((t) => t.tone === "error").map((t) => (
          <ToastItem key={t.id} toast={t} />
        ))}
      </div>
    </section>
  );
}
