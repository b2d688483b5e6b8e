// One workspace: its name, section links, and the section (tasks, members, audit log).
import type { Member, Workspace } from "../../api/client";
import type { Tab } from "../router";
import { ErrorAlert, Loading, PageTitle, atLeast, useLoad } from "../common";
import { useServices } from "../context";
import { TasksSection } from "./tasks";
import { MembersSection } from "./members";
import { AuditSection } from "./audit";

export interface WorkspaceData {
  workspace: Workspace;
  etag: string;
  members: Member[];
  /** The members could not be read: the rest of the page still works, and says so. */
  membersError: unknown;
}

export function useWorkspace(id: string) {
  const { api } = useServices();
  return useLoad(async (): Promise<WorkspaceData> => {
    const [{ data, etag }, members] = await Promise.all([
      api.workspace(id),
      api.members(id).then(
        (list) => ({ list, error: null as unknown }),
        (error: unknown) => ({ list: [] as Member[], error }),
      ),
    ]);
    return { workspace: data, etag, members: members.list, membersError: members.error };
  }, [id]);
}

export function memberName(members: Member[], userId: string | null): string {
  if (!userId) return "Nobody";
  return members.find((m) => m.user_id === userId)?.email ?? `Former member (${userId})`;
}

export function WorkspacePage({ id, tab }: { id: string; tab: Tab }) {
  const loaded = useWorkspace(id);
  const data = loaded.data;
  const base = `/workspaces/${encodeURIComponent(id)}`;
  const canAudit = data ? atLeast(data.workspace.role, "admin") : false;
  const sections: [Tab, string, string, boolean][] = [
    ["tasks", "Tasks", base, true],
    ["members", "Members", `${base}/members`, true],
    ["audit", "Audit log", `${base}/audit`, canAudit],
  ];

  return (
    <section>
      <p class="crumbs">
        <a href="/workspaces">Workspaces</a>
      </p>
      <PageTitle>{data ? data.workspace.name : "Workspace"}</PageTitle>
      {loaded.loading && !data && <Loading what="the workspace" />}
      <ErrorAlert error={loaded.error}>
        <button type="button" onClick={loaded.reload}>Try again</button>
      </ErrorAlert>
      {data && (
        <>
          <p class="muted">
            Your role: <strong>{data.workspace.role}</strong>
          </p>
          {data.membersError !== null && (
            <ErrorAlert error={data.membersError}>
              <p>The members of this workspace could not be loaded, so names may be missing.</p>
            </ErrorAlert>
          )}
          <nav class="tabs" aria-label="Workspace sections">
            <ul>
              {sections
                .filter(([, , , shown]) => shown)
                .map(([key, label, href]) => (
                  <li key={key}>
                    <a href={href} aria-current={tab === key ? "page" : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
            </ul>
          </nav>
          {tab === "tasks" && <TasksSection data={data} />}
          {tab === "members" && <MembersSection data={data} onChanged={loaded.reload} />}
          {tab === "audit" &&
            (canAudit ? (
              <AuditSection data={data} />
            ) : (
              <p role="alert" class="alert">
                Only admins and owners can read the audit log.
              </p>
            ))}
        </>
      )}
    </section>
  );
}
