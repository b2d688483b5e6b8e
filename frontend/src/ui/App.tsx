// The shell: header, the page for the current route, focus and title on every route change,
// shortcuts, toasts, and an alert for anything that failed outside a page's own error handling.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Api } from "../api/client";
import type { Auth, AuthState } from "../cognito/auth";
import type { Drafts } from "../lib/drafts";
import { THEMES, chooseTheme, savedTheme, type Theme } from "../lib/theme";
import { Dialog } from "./components/dialog";
import { ErrorAlert, PageTitle, messageOf } from "./components/feedback";
import { Icon } from "./components/icons";
import { lazyPage } from "./components/lazy";
import { ChoiceMenu } from "./components/menu";
import { ToastHost, toasts } from "./components/toasts";
import { Services, type AppServices } from "./context";
import { Bell, InvitationsBadge } from "./inbox/badges";
import { useInboxPolling } from "./inbox/counts";
import { PUBLIC_ROUTES, navigate, parseRoute, useLocation, type Route } from "./router";
import { SHORTCUTS, installShortcuts, moveFocus, useShortcut } from "./shortcuts";
import { sendWaitingDeletes, undoLastDelete } from "./tasks/deletes";
import { WorkspaceFrame } from "./workspace/frame";
import { Confirm, Forgot, SignIn, SignUp } from "./pages/auth";
import { BoardPage } from "./pages/board";
import { InvitationsPage } from "./pages/invitations";
import { MembersPage } from "./pages/members";
import { MyTasksPage } from "./pages/my-tasks";
import { TaskPage } from "./pages/task";
import { TasksPage } from "./pages/tasks";
import { UnsubscribePage } from "./pages/unsubscribe";
import { Workspaces } from "./pages/workspaces";

// Pages nobody needs on first load come in their own script (components/lazy.tsx).
const Account = lazyPage(() => import("./pages/account").then((m) => m.Account));
const AuditPage = lazyPage(() => import("./pages/audit").then((m) => m.AuditPage));
const NotificationsPage = lazyPage(() => import("./pages/notifications").then((m) => m.NotificationsPage));

const unexpected = new Set<(message: string) => void>();

/** Errors nobody caught (a bug, or a failed promise without a handler) still reach the user. */
export function reportUnexpected(error: unknown): void {
  for (const listener of unexpected) listener(messageOf(error));
}

const THEME_CHOICES: { value: Theme; label: string; icon: preact.ComponentChildren }[] = THEMES.map((theme) => ({
  value: theme,
  label: { system: "System", light: "Light", dark: "Dark" }[theme],
  icon: <Icon name={theme === "system" ? "system" : theme === "light" ? "sun" : "moon"} />,
}));

function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <p class="muted">They work anywhere except while typing in a field.</p>
      <dl class="shortcuts">
        {SHORTCUTS.map(([key, what]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </Dialog>
  );
}

function signedInPage(route: Route, search: string) {
  switch (route.name) {
    case "myTasks":
      return <MyTasksPage search={search} />;
    case "workspaces":
      return <Workspaces />;
    case "workspace":
      return (
        <WorkspaceFrame key={route.id} id={route.id} tab={route.tab}>
          {(data, reload) => {
            switch (route.tab) {
              case "board":
                return <BoardPage data={data} />;
              case "members":
                return <MembersPage data={data} onChanged={reload} />;
              case "audit":
                return <AuditPage data={data} />;
              default:
                return <TasksPage data={data} search={search} />;
            }
          }}
        </WorkspaceFrame>
      );
    case "task":
      return <TaskPage key={route.taskId} workspaceId={route.workspaceId} taskId={route.taskId} />;
    case "account":
      return <Account />;
    case "invitations":
      return <InvitationsPage invitedEmail={route.email} />;
    case "notifications":
      return <NotificationsPage search={search} />;
    case "notFound":
      return (
        <section>
          <PageTitle>Page not found</PageTitle>
          <p>
            There is nothing at this address. Go to <a href="/">your tasks</a> or <a href="/workspaces">your workspaces</a>.
          </p>
        </section>
      );
    default:
      return <p class="muted">Redirecting…</p>;
  }
}

export function App({ api, auth, drafts }: { api: Api; auth: Auth; drafts: Drafts }) {
  const [state, setState] = useState<AuthState>(auth.current);
  const [problem, setProblem] = useState<string | null>(null);
  const [theme, setTheme] = useState<Theme>(savedTheme);
  const [helpOpen, setHelpOpen] = useState(false);
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
  useEffect(installShortcuts, []);
  // Deletes waiting for their Undo toast go out when the tab is hidden or closed.
  useEffect(() => {
    const leave = () => sendWaitingDeletes(true);
    const hidden = () => document.visibilityState === "hidden" && leave();
    window.addEventListener("pagehide", leave);
    document.addEventListener("visibilitychange", hidden);
    return () => {
      window.removeEventListener("pagehide", leave);
      document.removeEventListener("visibilitychange", hidden);
    };
  }, []);

  // Focus the new page's heading so keyboard and screen-reader users start at the top of it.
  useEffect(() => {
    if (location.key === 0) return;
    document.getElementById("page-title")?.focus();
    setProblem(null);
    toasts.clearErrors();
  }, [location.key, state.status]);

  const signedIn = state.status === "signedIn";
  const next = "next" in route ? route.next : null;
  useEffect(() => {
    if (signedIn && PUBLIC_ROUTES.has(route.name)) navigate(next ?? "/", { replace: true });
  }, [signedIn, route.name]);
  useInboxPolling(api, signedIn, location.key);

  useShortcut("?", () => setHelpOpen(true));
  useShortcut("j", () => moveFocus(1));
  useShortcut("k", () => moveFocus(-1));
  useShortcut("z", () => void undoLastDelete());

  const services: AppServices = { api, auth, drafts, user: signedIn ? state.user : null, flash };

  // Nothing until the session is known (a moment, while a saved session resumes): the header is
  // taller when signed in (it wraps on a phone), and anything shown before would jump.
  if (state.status === "unknown") return null;

  let page;
  if (route.name === "unsubscribe") {
    // The link in a notification email works signed in or not.
    page = <UnsubscribePage token={route.token} />;
  } else if (!signedIn && route.name === "invitations" && route.email) {
    // The link in an invitation email: someone new creates an account with the address filled
    // in (or switches to signing in), and lands back here once signed in.
    page = <SignUp key={location.key} initialEmail={route.email} next={location.path + location.search} invited />;
  } else if (!signedIn) {
    const here = location.path + location.search;
    switch (route.name) {
      case "signup":
        page = <SignUp key={location.key} initialEmail={route.email} next={route.next} />;
        break;
      case "confirm":
        page = <Confirm key={location.key} initialEmail={route.email} next={route.next} />;
        break;
      case "forgot":
        page = <Forgot />;
        break;
      default: {
        const after = route.name === "signin" ? (route.next ?? "/") : route.name === "notFound" ? "/" : here;
        const email = route.name === "signin" ? route.email : "";
        page = <SignIn key={location.key} reason={state.reason} after={after} initialEmail={email} />;
      }
    }
  } else {
    page = signedInPage(route, location.search);
  }

  const current = (name: string) => (route.name === name ? "page" : undefined);
  return (
    <Services.Provider value={services}>
      <a class="skip-link" href="#main">
        Skip to main content
      </a>
      <header class="site-header">
        <a href={signedIn ? "/" : "/signin"} class="brand">
          <Icon name="logo" />
          Team tasks
        </a>
        {signedIn && (
          <nav aria-label="Main" class="main-nav">
            <ul>
              <li>
                <a href="/" aria-current={current("myTasks")}>
                  My tasks
                </a>
              </li>
              <li>
                <a href="/workspaces" aria-current={route.name === "workspace" || route.name === "task" ? "true" : current("workspaces")}>
                  Workspaces
                  <InvitationsBadge />
                </a>
              </li>
              <li>
                <a href="/account" aria-current={current("account")}>
                  Account
                </a>
              </li>
            </ul>
          </nav>
        )}
        <div class="header-tools">
          <ChoiceMenu
            label="Theme"
            value={theme}
            choices={THEME_CHOICES}
            onChoose={(next) => {
              chooseTheme(next);
              setTheme(next);
            }}
            class="theme-menu"
          >
            <Icon name={theme === "system" ? "system" : theme === "light" ? "sun" : "moon"} />
            <span class="visually-hidden-narrow">Theme</span>
          </ChoiceMenu>
          {signedIn && (
            <>
              <Bell current={route.name === "notifications"} />
              <button type="button" class="icon-button shortcuts-button" aria-label="Keyboard shortcuts" onClick={() => setHelpOpen(true)}>
                <Icon name="keyboard" />
              </button>
              <span class="who">{state.user.email}</span>
              <button
                type="button"
                class="button button--ghost"
                onClick={() => {
                  drafts.clearAll();
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
            </>
          )}
        </div>
      </header>
      <main id="main">
        {problem && (
          <ErrorAlert error={new Error(problem)}>
            <button type="button" class="button" onClick={() => setProblem(null)}>
              Dismiss
            </button>
          </ErrorAlert>
        )}
        {page}
      </main>
      <ToastHost />
      {helpOpen && <ShortcutsDialog onClose={() => setHelpOpen(false)} />}
    </Services.Provider>
  );
}
