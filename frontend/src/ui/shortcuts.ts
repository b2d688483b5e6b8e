// Single-key shortcuts (c, /, j, k, z, ?). They never take a key from a form field, a menu or a
// dialog, and never one pressed with Ctrl, Alt or Meta (the browser's and the screen reader's).
import { useEffect, useRef } from "preact/hooks";

export const SHORTCUTS: [key: string, what: string][] = [
  ["c", "New task (in a workspace's list or board)"],
  ["/", "Go to the filters"],
  ["j", "Next task"],
  ["k", "Previous task"],
  ["Shift + ← / →", "Move the focused card to the previous or next column (board)"],
  ["z", "Undo the last delete"],
  ["?", "Show these shortcuts"],
];

type Handler = (event: KeyboardEvent) => void;
const handlers = new Map<string, Handler[]>();

/** Keys that belong to what has focus: typing in a field, choosing in a menu, a dialog. */
export function ownsKeys(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) return false;
  if (target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false']), [role='menu'], dialog")) return true;
  return false;
}

export function shortcutFor(event: KeyboardEvent): string | null {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return null;
  if (ownsKeys(event.target)) return null;
  return event.key;
}

/** One listener for the whole app; the most recently mounted handler of a key wins. */
export function installShortcuts(): () => void {
  const onKey = (event: KeyboardEvent) => {
    const key = shortcutFor(event);
    const stack = key ? handlers.get(key) : undefined;
    if (!stack?.length) return;
    event.preventDefault();
    stack[stack.length - 1](event);
  };
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}

export function useShortcut(key: string, handler: Handler, enabled = true): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (!enabled) return;
    const call: Handler = (event) => latest.current(event);
    const stack = handlers.get(key) ?? [];
    handlers.set(key, [...stack, call]);
    return () => handlers.set(key, (handlers.get(key) ?? []).filter((h) => h !== call));
  }, [key, enabled]);
}

/** j / k: focus the next or previous task (any element marked data-nav-item) on the page. */
export function moveFocus(step: 1 | -1): void {
  const items = [...document.querySelectorAll<HTMLElement>("main [data-nav-item]")];
  if (!items.length) return;
  const at = items.findIndex((item) => item === document.activeElement || item.contains(document.activeElement));
  const next = at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step));
  items[next].focus();
}
