// Client-side routes on real paths (the server answers unknown paths with index.html).
import { useEffect, useState } from "preact/hooks";

export type Tab = "tasks" | "members" | "audit";

export type Route =
  | { name: "signin" }
  | { name: "signup" }
  | { name: "confirm"; email: string }
  | { name: "forgot" }
  | { name: "workspaces" }
  | { name: "workspace"; id: string; tab: Tab }
  | { name: "task"; workspaceId: string; taskId: string }
  | { name: "account" }
  | { name: "notFound" };

export const PUBLIC_ROUTES = new Set(["signin", "signup", "confirm", "forgot"]);

export function parseRoute(pathname: string, search = ""): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(search);
  if (parts.length === 0) return { name: "workspaces" };
  const [first, id, second, taskId] = parts;
  switch (first) {
    case "signin":
    case "signup":
    case "forgot":
    case "account":
      return parts.length === 1 ? { name: first } : { name: "notFound" };
    case "confirm":
      return { name: "confirm", email: params.get("email") ?? "" };
    case "workspaces":
      if (parts.length === 1) return { name: "workspaces" };
      if (parts.length === 2) return { name: "workspace", id, tab: "tasks" };
      if (parts.length === 3 && (second === "members" || second === "audit" || second === "tasks")) {
        return { name: "workspace", id, tab: second };
      }
      if (parts.length === 4 && second === "tasks") return { name: "task", workspaceId: id, taskId };
      return { name: "notFound" };
    default:
      return { name: "notFound" };
  }
}

const CHANGE = "teamtasks:navigate";

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === location.pathname + location.search) {
    window.dispatchEvent(new Event(CHANGE));
    return;
  }
  if (options.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.dispatchEvent(new Event(CHANGE));
}

/** The current location; re-renders on navigate() and on back/forward. */
export function useLocation(): { path: string; search: string; key: number } {
  const read = () => ({ path: location.pathname, search: location.search });
  const [state, setState] = useState({ ...read(), key: 0 });
  useEffect(() => {
    const update = () => setState((previous) => ({ ...read(), key: previous.key + 1 }));
    window.addEventListener("popstate", update);
    window.addEventListener(CHANGE, update);
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
      window.removeEventListener("popstate", update);
      window.removeEventListener(CHANGE, update);
      document.removeEventListener("click", onClick);
    };
  }, []);
  return state;
}
