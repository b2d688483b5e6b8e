// The shell: header, the page for the current route, focus and title on every route change, and
// an alert for anything that failed outside a page's own error handling.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Api } from "../api/client";
import type { Auth, AuthState } from "../cognito/auth";
import { ErrorAlert, PageTitle, messageOf } from "./common";
import { Services, type AppServices } from "./context";
import { PUBLIC_ROUTES, navigate, parseRoute, useLocation } from "./router";
import { Confirm, Forgot, SignIn, SignUp } from "./pages/auth";
import { Workspaces } from "./pages/workspaces";
import { WorkspacePage } from "./pages/workspace";
import { TaskPage } from "./pages/tasks";
import { Account } from "./pages/account";

const unexpected = new Set<(message: string) => void>();

/** Errors nobody caught (a bug, or a failed promise without a handler) still reach the user. */
export function reportUnexpected(error: unknown): void {
  for (const listener of unexpected) listener(messageOf(error));
}

export function App({ api, auth }: { api: Api; auth: Auth }) {
  const [state, setState] = useState<AuthState>(auth.current);
  const [problem, setProblem] = useState<string | null>(null);
  const location = useLocation();
  const route = parseRoute(location.path, location.search);
  const flash = useMemo(() => ({ message: null as string | null }), []);

  useEffect(() => {
    const unsubscribe = auth.subscribe(setState);
    setState(auth.current); // it may have changed before this effect ran
    return unsubscribe;
  }, [auth]);
  useEffect(() => {
    const listener = (message: string) => setProblem(message);
    unexpected.add(listener);
    return () => void unexpected.delete(listener);
  }, []);

  // Focus the new page's heading so keyboard and screen-reader users start at the top of it.
  useEffect(() => {
    if (location.key === 0) return;
    const heading = document.getElementById("page-title");
    heading?.focus();
    setProblem(null);
  }, [location.key, state.status]);

  const signedIn = state.status === "signedIn";
  useEffect(() => {
    if (signedIn && PUBLIC_ROUTES.has(route.name)) navigate("/workspaces", { replace: true });
  }, [signedIn, route.name]);

  const services: AppServices = { api, auth, user: signedIn ? state.user : null, flash };

  // Nothing until the session is known (a moment, while a saved session resumes): the header is
  // taller when signed in (it wraps on a phone), and anything shown before would jump.
  if (state.status === "unknown") return null;

  let page;
  if (!signedIn) {
    switch (route.name) {
      case "signup":
        page = <SignUp />;
        break;
      case "confirm":
        page = <Confirm initialEmail={route.email} />;
        break;
      case "forgot":
        page = <Forgot />;
        break;
      default: {
        const after = route.name === "signin" || route.name === "notFound" ? "/workspaces" : location.path + location.search;
        page = <SignIn key={location.key} reason={state.reason} after={after} />;
      }
    }
  } else {
    switch (route.name) {
      case "workspaces":
        page = <Workspaces />;
        break;
      case "workspace":
        page = <WorkspacePage key={route.id} id={route.id} tab={route.tab} />;
        break;
      case "task":
        page = <TaskPage key={route.taskId} workspaceId={route.workspaceId} taskId={route.taskId} />;
        break;
      case "account":
        page = <Account />;
        break;
      case "notFound":
        page = (
          <section>
            <PageTitle>Page not found</PageTitle>
            <p>
              There is nothing at this address. <a href="/workspaces">Go to your workspaces</a>.
            </p>
          </section>
        );
        break;
      default:
        page = <p class="muted">Redirecting…</p>;
    }
  }

  return (
    <Services.Provider value={services}>
      <a class="skip-link" href="#main">
        Skip to main content
      </a>
      <header class="site-header">
        <a href={signedIn ? "/workspaces" : "/signin"} class="brand">
          Team tasks
        </a>
        {signedIn && (
          <nav aria-label="Main">
            <ul>
              <li>
                <a href="/workspaces" aria-current={route.name === "workspaces" ? "page" : undefined}>
                  Workspaces
                </a>
              </li>
              <li>
                <a href="/account" aria-current={route.name === "account" ? "page" : undefined}>
                  Account
                </a>
              </li>
            </ul>
          </nav>
        )}
        {signedIn && (
          <div class="who">
            <span class="muted">{state.user.email}</span>
            <button
              type="button"
              onClick={() => {
                auth.signOut().then(
                  () => navigate("/signin"),
                  (error) => {
                    navigate("/signin");
                    setProblem(messageOf(error));
                  },
                );
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main">
        {problem && (
          <ErrorAlert error={new Error(problem)}>
            <button type="button" onClick={() => setProblem(null)}>Dismiss</button>
          </ErrorAlert>
        )}
        {page}
      </main>
    </Services.Provider>
  );
}
