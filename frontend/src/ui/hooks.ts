// State that pages share: loading with fresh data, actions with busy and error state, cursor pages.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/client";

/** How often a visible list refreshes itself where no changes feed tells it when (lists that
 * span workspaces: My tasks, the workspaces). */
export const REFRESH_INTERVAL_MS = 30_000;
/** A refresh that had to wait (a load or an optimistic change under way) tries again after this. */
const REFRESH_RETRY_MS = 500;

/** Calls `run` every `intervalMs` while the page is visible, and when the tab regains focus
 * or is shown again; returns what stops it. */
export function whileVisible(run: () => void, intervalMs: number): () => void {
  let last = 0;
  const soon = () => {
    // A tab switch fires both focus and visibilitychange: once is enough.
    if (document.visibilityState !== "visible" || Date.now() - last < 1000) return;
    last = Date.now();
    run();
  };
  const timer = setInterval(soon, intervalMs);
  window.addEventListener("focus", soon);
  document.addEventListener("visibilitychange", soon);
  return () => {
    clearInterval(timer);
    window.removeEventListener("focus", soon);
    document.removeEventListener("visibilitychange", soon);
  };
}

/** Runs an action, tracking busy and error state. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (caught) {
      setError(caught);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

export interface Loaded<T> {
  data: T | null;
  setData: (update: (current: T | null) => T | null) => void;
  error: unknown;
  /** A load for new dependencies (or a reload) is under way; `data` may be the previous one. */
  loading: boolean;
  reload: () => void;
  /** Loads again without a loading state (a refresh nobody asked for). */
  refresh: () => void;
}

interface LoadOptions {
  /** Refresh when the tab regains focus and every 30 s while it is visible. */
  fresh?: boolean;
  /** While true, refreshes wait (an optimistic change is on its way to the server). */
  paused?: () => boolean;
}

/** Loads data when the dependencies change. `load` gets the data it has (for conditional
 * requests); a refresh that fails keeps what is on screen, except when the thing is gone. */
export function useLoad<T>(load: (previous: T | null) => Promise<T>, deps: unknown[], options: LoadOptions = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const current = useRef<T | null>(null);
  current.current = state.data;
  const loading = useRef(true);
  loading.current = state.loading;
  const loadRef = useRef(load);
  loadRef.current = load;
  const optionsRef = useRef(options);
  optionsRef.current = options;

  useEffect(() => {
    const call = ++latest.current;
    setState((previous) => ({ ...previous, error: null, loading: true }));
    loadRef.current(null).then(
      (data) => call === latest.current && setState({ data, error: null, loading: false }),
      (error) => call === latest.current && setState((previous) => ({ ...previous, error, loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  const retry = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refresh = useCallback(() => {
    clearTimeout(retry.current);
    // Never over a load under way: its answer (or its error) is the one the user waits for.
    // A refresh asked for meanwhile (someone else's change, reported by the changes feed) is
    // tried again shortly rather than dropped: nothing else would bring that change.
    if (loading.current || optionsRef.current.paused?.()) {
      retry.current = setTimeout(refresh, REFRESH_RETRY_MS);
      return;
    }
    const call = ++latest.current;
    loadRef.current(current.current).then(
      (data) => call === latest.current && setState({ data, error: null, loading: false }),
      (error) => {
        if (call !== latest.current) return;
        if (error instanceof ApiError && error.isGone) setState((previous) => ({ ...previous, error }));
      },
    );
  }, []);

  useEffect(() => () => clearTimeout(retry.current), []);

  const fresh = Boolean(options.fresh);
  useEffect(() => (fresh ? whileVisible(refresh, REFRESH_INTERVAL_MS) : undefined), [fresh, refresh]);

  return {
    ...state,
    setData: useCallback((update) => setState((previous) => ({ ...previous, data: update(previous.data) })), []),
    reload: useCallback(() => setTick((n) => n + 1), []),
    refresh,
  };
}

/** Cursor paging: the cursor of each page seen so far, so "Previous" can go back. */
export function usePager(resetKey: string) {
  // The cursors belong to one list: a new key (other filters) starts again at page 1 in the
  // same render, so a cursor is never sent with filters it does not belong to.
  const [state, setState] = useState<{ key: string; cursors: (string | null)[] }>({ key: resetKey, cursors: [null] });
  const cursors = state.key === resetKey ? state.cursors : [null];
  const update = (change: (list: (string | null)[]) => (string | null)[]) =>
    setState((previous) => ({ key: resetKey, cursors: change(previous.key === resetKey ? previous.cursors : [null]) }));
  return {
    cursor: cursors[cursors.length - 1],
    pageNumber: cursors.length,
    next: (nextCursor: string) => update((list) => [...list, nextCursor]),
    previous: () => update((list) => (list.length > 1 ? list.slice(0, -1) : list)),
    first: () => update(() => [null]),
  };
}

/** Moves focus to an element once it is on screen (after the render that creates it). */
export function focusSoon(find: () => HTMLElement | null | undefined): void {
  setTimeout(() => find()?.focus(), 0);
}
