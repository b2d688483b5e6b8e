// The frame of every workspace page: where you are, the workspace's name and your role in it,
// and its sections. A workspace that is gone says so, with somewhere useful to go.
import type { ComponentChildren } from "preact";
import { ApiError } from "../../api/client";
import { atLeast } from "../../lib/labels";
import { RoleBadge } from "../components/chips";
import { ErrorAlert, Loading, PageTitle, RetryAlert } from "../components/feedback";
import { Icon, type IconName } from "../components/icons";
import { paths, type Tab } from "../router";
import { useWorkspace, type WorkspaceData } from "./data";

export function GoneNotice({ what, children }: { what: string; children: ComponentChildren }) {
  return (
    <div class="empty" role="alert">
      <p>
        <strong>{what}</strong>
      </p>
      {children}
    </div>
  );
}

export function WorkspaceGone() {
  return (
    <GoneNotice what="This workspace does not exist, or you are no longer a member of it.">
      <p>
        It may have been deleted, or you were removed from it. <a href="/workspaces">Go to your workspaces</a> or to{" "}
        <a href="/">your tasks</a>.
      </p>
    </GoneNotice>
  );
}

const SECTIONS: [Tab, string, IconName][] = [
  ["tasks", "Tasks", "list"],
  ["board", "Board", "board"],
  ["members", "Members", "people"],
  ["audit", "Audit log", "history"],
];

export function WorkspaceFrame({ id, tab, children }: { id: string; tab: Tab; children: (data: WorkspaceData, reload: () => void) => ComponentChildren }) {
  const loaded = useWorkspace(id);
  const data = loaded.data;
  const gone = loaded.error instanceof ApiError && loaded.error.isGone;
  const canAudit = data ? atLeast(data.workspace.role, "admin") : false;

  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/workspaces">Workspaces</a>
      </nav>
      <div class="page-head">
        <PageTitle>{gone ? "Workspace not found" : data ? data.workspace.name : "Workspace"}</PageTitle>
        {data && !gone && (
          <p class="role-line">
            Your role <RoleBadge role={data.workspace.role} />
          </p>
        )}
      </div>
      {loaded.loading && !data && <Loading what="the workspace" />}
      {gone ? (
        <WorkspaceGone />
      ) : (
        <RetryAlert error={loaded.error} retry={loaded.reload} />
      )}
      {data && !gone && (
        <>
          {data.membersError !== null && (
            <ErrorAlert error={data.membersError}>
              <p>The members of this workspace could not be loaded, so names may be missing.</p>
            </ErrorAlert>
          )}
          <nav class="tabs" aria-label="Workspace sections">
            <ul>
              {SECTIONS.filter(([key]) => key !== "audit" || canAudit).map(([key, label, icon]) => (
                <li key={key}>
                  <a href={paths.workspace(id, key)} aria-current={tab === key ? "page" : undefined}>
                    <Icon name={icon} />
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {tab === "audit" && !canAudit ? (
            <p role="alert" class="alert">
              Only admins and owners can read the audit log.
            </p>
          ) : (
            children(data, loaded.reload)
          )}
        </>
      )}
    </section>
  );
}
