// The caller's workspaces: list (paged), create, rename (admin+), delete (owner).
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, etagOf, type Workspace } from "../../api/client";
import { LIMITS, atLeast } from "../../lib/labels";
import { RoleBadge } from "../components/chips";
import { ConfirmDialog } from "../components/dialog";
import { ErrorAlert, Loading, PageTitle, RetryAlert } from "../components/feedback";
import { TextField, lengthProblem } from "../components/fields";
import { Icon } from "../components/icons";
import { Pager } from "../components/pager";
import { toasts } from "../components/toasts";
import { useServices } from "../context";
import { focusSoon, useAction, useLoad, usePager } from "../hooks";
import { InvitationsNotice } from "../inbox/badges";
import { refreshInvitations } from "../inbox/counts";
import { navigate, paths } from "../router";

function nameProblem(name: string): string | null {
  return name.trim() ? lengthProblem("A name", name, LIMITS.workspaceName) : "Give the workspace a name.";
}

export function Workspaces() {
  const { api } = useServices();
  const pager = usePager("workspaces");
  const list = useLoad(() => api.workspaces(pager.cursor), [pager.cursor], { fresh: true });
  const [name, setName] = useState("");
  const [checked, setChecked] = useState(false);
  const create = useAction();
  const heading = useRef<HTMLHeadingElement>(null);
  const problem = checked ? nameProblem(name) : null;
  // Invitations are answered elsewhere too (another tab, the email's link): count them afresh.
  useEffect(() => void refreshInvitations(api), [api]);

  return (
    <section>
      <PageTitle>Workspaces</PageTitle>
      <form
        class="panel create-form"
        aria-label="New workspace"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          setChecked(true);
          if (nameProblem(name)) return document.getElementById("new-workspace")?.focus();
          void create.run(async () => {
            const { data } = await api.createWorkspace(name.trim());
            setName("");
            navigate(paths.workspace(data.id));
          });
        }}
      >
        <TextField id="new-workspace" label="New workspace name" value={name} onInput={setName} max={LIMITS.workspaceName} error={problem} class="grow" />
        <button type="submit" class="button button--primary" disabled={create.busy}>
          <Icon name="plus" />
          Create workspace
        </button>
      </form>
      <ErrorAlert error={create.error} fields={["name"]} />

      <h2 id="workspace-list-heading" tabIndex={-1} ref={heading}>
        Your workspaces
      </h2>
      {list.loading && !list.data && <Loading what="workspaces" />}
      <RetryAlert error={list.error} retry={list.reload} />
      {list.data && list.data.items.length === 0 && <p class="empty">You have no workspaces yet. Create one above.</p>}
      {list.data && list.data.items.length > 0 && (
        <ul class="cards workspace-cards" aria-labelledby="workspace-list-heading" aria-busy={list.loading}>
          {list.data.items.map((workspace) => (
            <WorkspaceCard
              key={workspace.id}
              workspace={workspace}
              onRenamed={(renamed) => list.setData((page) => page && { ...page, items: page.items.map((w) => (w.id === renamed.id ? renamed : w)) })}
              onDeleted={() => {
                list.reload();
                focusSoon(() => heading.current);
              }}
              reload={list.reload}
            />
          ))}
        </ul>
      )}
      <Pager label="Workspaces" pager={pager} nextCursor={list.data?.next_cursor} heading={heading} />
      {/* Last on the page: its count arrives after the page, and must push nothing down. */}
      <InvitationsNotice />
    </section>
  );
}

function WorkspaceCard({ workspace, onRenamed, onDeleted, reload }: { workspace: Workspace; onRenamed: (w: Workspace) => void; onDeleted: () => void; reload: () => void }) {
  const { api } = useServices();
  const [mode, setMode] = useState<"view" | "rename" | "delete">("view");
  const [name, setName] = useState(workspace.name);
  const [checked, setChecked] = useState(false);
  const action = useAction();
  const inputId = `rename-${workspace.id}`;
  const renameButton = useRef<HTMLButtonElement>(null);
  const link = useRef<HTMLAnchorElement>(null);
  const problem = checked ? nameProblem(name) : null;

  const view = (focus: () => HTMLElement | null) => {
    setMode("view");
    setChecked(false);
    action.setError(null);
    focusSoon(focus);
  };

  return (
    <li class="card">
      <div class="card-head">
        <a href={paths.workspace(workspace.id)} class="card-title" ref={link}>
          <Icon name="folder" />
          <span>{workspace.name}</span>
        </a>
        <RoleBadge role={workspace.role} />
      </div>
      {mode !== "rename" && (
        <div class="actions">
          {atLeast(workspace.role, "admin") && (
            <button
              type="button"
              class="button button--ghost"
              ref={renameButton}
              aria-label={`Rename ${workspace.name}`}
              onClick={() => {
                setName(workspace.name);
                setMode("rename");
                focusSoon(() => document.getElementById(inputId));
              }}
            >
              Rename
            </button>
          )}
          {workspace.role === "owner" && (
            <button type="button" class="button button--danger-ghost" aria-label={`Delete ${workspace.name}`} onClick={() => setMode("delete")}>
              Delete
            </button>
          )}
        </div>
      )}
      {mode === "rename" && (
        <form
          class="rename-form"
          aria-label={`Rename ${workspace.name}`}
          noValidate
          onKeyDown={(event) => {
            if (event.key === "Escape") {
              event.preventDefault();
              view(() => renameButton.current);
            }
          }}
          onSubmit={(event) => {
            event.preventDefault();
            setChecked(true);
            if (nameProblem(name)) return document.getElementById(inputId)?.focus();
            void action.run(async () => {
              const { data } = await api.renameWorkspace(workspace.id, name.trim(), etagOf(workspace));
              toasts.show({ message: `Renamed “${workspace.name}” to “${data.name}”.` });
              onRenamed(data);
              view(() => link.current);
            });
          }}
        >
          <TextField id={inputId} label={`New name for ${workspace.name}`} value={name} onInput={setName} max={LIMITS.workspaceName} error={problem} />
          <div class="actions">
            <button type="submit" class="button button--primary" disabled={action.busy}>
              Save name
            </button>
            <button type="button" class="button" onClick={() => view(() => renameButton.current)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {mode === "delete" && (
        <ConfirmDialog
          title={`Delete ${workspace.name}?`}
          message={`“${workspace.name}” and all its tasks will be deleted for everyone in it. This cannot be undone.`}
          confirm="Delete workspace"
          busy={action.busy}
          onClose={() => setMode("view")}
          onConfirm={() =>
            void action.run(async () => {
              await api.deleteWorkspace(workspace.id, etagOf(workspace));
              setMode("view");
              toasts.show({ message: `Deleted “${workspace.name}”.` });
              onDeleted();
            })
          }
        >
          <ErrorAlert error={action.error} />
        </ConfirmDialog>
      )}
      {mode !== "delete" && (
        <ErrorAlert error={action.error} fields={["name"]}>
          {action.error instanceof ApiError && action.error.isConflict && (
            <p>
              Someone else changed this workspace.{" "}
              <button
                type="button"
                class="button"
                onClick={() => {
                  view(() => link.current);
                  reload();
                }}
              >
                Reload
              </button>
            </p>
          )}
        </ErrorAlert>
      )}
    </li>
  );
}
