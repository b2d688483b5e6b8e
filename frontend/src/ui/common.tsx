// Small shared pieces: error and status messages, loading, page headings, roles, dates.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Role } from "../api/client";

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Every failure is shown, with the problem's detail. */
export function ErrorAlert({ error, children }: { error: unknown; children?: ComponentChildren }) {
  if (!error) return null;
  const requestId = error instanceof ApiError ? error.requestId : null;
  return (
    <div class="alert" role="alert">
      <p>{messageOf(error)}</p>
      {requestId && <p class="muted small">Request id: {requestId}</p>}
      {children}
    </div>
  );
}

export function Status({ message }: { message: string | null }) {
  return (
    <p class="status" role="status">
      {message ?? ""}
    </p>
  );
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

/** Loads data when the dependencies change; `reload` loads it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const call = ++latest.current;
    setLoading(true);
    setError(null);
    load().then(
      (value) => {
        if (call !== latest.current) return;
        setData(value);
        setLoading(false);
      },
      (caught) => {
        if (call !== latest.current) return;
        setError(caught);
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { data, setData, error, loading, reload: () => setTick((n) => n + 1) };
}

/** The page's one h1; focused after every route change (see App). */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const text = [children].flat().join("");
  useEffect(() => {
    document.title = `${text} · Team tasks`;
  }, [text]);
  return (
    <h1 tabIndex={-1} id="page-title">
      {children}
    </h1>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" aria-live="polite">Loading {what}…</p>;
}

export const ROLES: Role[] = ["owner", "admin", "member", "viewer"];
const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function atLeast(role: Role | undefined, minimum: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[minimum];
}

export const ROLE_LABEL: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member", viewer: "Viewer" };

/** The roles that `caller` may give to, or take from, someone. */
export function assignableRoles(caller: Role | undefined): Role[] {
  if (caller === "owner") return ROLES;
  if (caller === "admin") return ["member", "viewer"];
  return [];
}

let dateTime: Intl.DateTimeFormat | null = null; // made on first use: not at start-up

export function formatTime(value: string): string {
  const date = new Date(value);
  dateTime ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  return Number.isNaN(date.getTime()) ? value : dateTime.format(date);
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

export function Pager({
  label,
  pageNumber,
  nextCursor,
  onNext,
  onPrevious,
}: {
  label: string;
  pageNumber: number;
  nextCursor: string | null | undefined;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
}) {
  if (pageNumber === 1 && !nextCursor) return null;
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={pageNumber === 1} onClick={onPrevious}>
        Previous page
      </button>
      <span>Page {pageNumber}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && onNext(nextCursor)}>
        Next page
      </button>
    </nav>
  );
}
