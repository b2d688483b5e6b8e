// Client-side routes on real paths (the server answers unknown paths with index.html). A page's
// filters live in the query string, so a reload, Back and a shared link keep them.
import { useEffect, useState } from "preact/hooks";

export type Tab = "tasks" | "board" | "members" | "audit";

/** Sign-in, sign-up and confirmation carry the email to fill in and where to go once signed in
 * (`next`): an invitation's link leads through all three to /invitations. */
interface Entry {
  email: string;
  next: string | null;
}

export type Route =
  | ({ name: "signin" } & Entry)
  | ({ name: "signup" } & Entry)
  | ({ name: "confirm" } & Entry)
  | { name: "forgot" }
  | { name: "myTasks" }
  | { name: "workspaces" }
  | { name: "workspace"; id: string; tab: Tab }
  | { name: "task"; workspaceId: string; taskId: string }
  | { name: "account" }
  | { name: "invitations"; email: string }
  | { name: "notifications" }
  | { name: "unsubscribe"; token: string }
  | { name: "notFound" };

/** Pages for the signed-out only: a signed-in user goes on (to `next`, or home). */
export const PUBLIC_ROUTES = new Set(["signin", "signup", "confirm", "forgot"]);
const TABS = new Set<string>(["tasks", "board", "members", "audit"]);

/** A path of this app to go to after signing in, or null: never another site ("//evil",
 * "https:", "/\\evil"), so a link cannot send a user elsewhere after they sign in. */
export function safeNext(value: string | null): string | null {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return null;
  return /^[\x21-\x7e]+$/.test(value) ? value : null;
}

export function parseRoute(pathname: string, search = ""): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(search);
  if (parts.length === 0) return { name: "myTasks" };
  const [first, id, second, taskId] = parts;
  const single = parts.length === 1;
  const entry = { email: params.get("email") ?? "", next: safeNext(params.get("next")) };
  switch (first) {
    case "signin":
    case "signup":
    case "confirm":
      return single ? { name: first, ...entry } : { name: "notFound" };
    case "forgot":
    case "account":
    case "notifications":
      return single ? { name: first } : { name: "notFound" };
    case "invitations":
      return single ? { name: "invitations", email: entry.email } : { name: "notFound" };
    case "unsubscribe":
      return single ? { name: "unsubscribe", token: params.get("token") ?? "" } : { name: "notFound" };
    case "workspaces":
      if (parts.length === 1) return { name: "workspaces" };
      if (parts.length === 2) return { name: "workspace", id, tab: "tasks" };
      if (parts.length === 3 && TABS.has(second)) return { name: "workspace", id, tab: second as Tab };
      if (parts.length === 4 && second === "tasks") return { name: "task", workspaceId: id, taskId };
      return { name: "notFound" };
    default:
      return { name: "notFound" };
  }
}

/** /signin, /signup or /confirm with the email to fill in and where to go after signing in. */
export function entryPath(page: "signin" | "signup" | "confirm", email: string, next: string | null): string {
  const params = new URLSearchParams();
  if (email) params.set("email", email);
  if (next && next !== "/") params.set("next", next);
  const search = params.toString();
  return `/${page}${search ? `?${search}` : ""}`;
}

export const paths = {
  workspace: (id: string, tab: Tab = "tasks") => `/workspaces/${encodeURIComponent(id)}${tab === "tasks" ? "" : `/${tab}`}`,
  task: (workspaceId: string, taskId: string) => `/workspaces/${encodeURIComponent(workspaceId)}/tasks/${encodeURIComponent(taskId)}`,
};

const NAVIGATE = "teamtasks:navigate";
const QUERY = "teamtasks:query";

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path !== location.pathname + location.search) {
    if (options.replace) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
  }
  window.dispatchEvent(new Event(NAVIGATE));
}

/** Changes the query string in place (filters): no new history entry, no new page. */
export function replaceQuery(values: Record<string, string | null | undefined>): void {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(values)) {
    if (value) params.set(key, value);
    else params.delete(key);
  }
  const search = params.toString();
  history.replaceState(null, "", `${location.pathname}${search ? `?${search}` : ""}`);
  window.dispatchEvent(new Event(QUERY));
}

export interface Location {
  path: string;
  search: string;
  /** One more on every navigation (not on a query change): a new page. */
  key: number;
}

/** The current location; re-renders on navigate(), replaceQuery() and back/forward. */
export function useLocation(): Location {
  const read = () => ({ path: location.pathname, search: location.search });
  const [state, setState] = useState<Location>({ ...read(), key: 0 });
  useEffect(() => {
    const moved = () => setState((previous) => ({ ...read(), key: previous.key + 1 }));
    const queried = () => setState((previous) => ({ ...read(), key: previous.key }));
    window.addEventListener("popstate", moved);
    window.addEventListener(NAVIGATE, moved);
    window.addEventListener(QUERY, queried);
    // Same-origin links navigate in the app; modified clicks and new tabs behave as usual.
    const onClick = (event: MouseEvent) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const anchor = (event.target as Element | null)?.closest?.("a");
      const href = anchor?.getAttribute("href");
      if (!anchor || !href || !href.startsWith("/") || href.startsWith("//") || anchor.target || anchor.hasAttribute("download")) return;
      event.preventDefault();
      navigate(href);
    };
    document.addEventListener("click", onClick);
    return () => {
      window.removeEventListener("popstate", moved);
      window.removeEventListener(NAVIGATE, moved);
      window.removeEventListener(QUERY, queried);
      document.removeEventListener("click", onClick);
    };
  }, []);
  return state;
}
