// The caller's workspaces: list (paged), create, rename (admin+), delete (owner).
import { useState } from "preact/hooks";
import { ApiError, etagOf, type Workspace } from "../../api/client";
import { navigate } from "../router";
import { ErrorAlert, Loading, PageTitle, Pager, ROLE_LABEL, Status, atLeast, useAction, useLoad, usePager } from "../common";
import { useServices } from "../context";

export function Workspaces() {
  const { api } = useServices();
  const pager = usePager("workspaces");
  const list = useLoad(() => api.workspaces(pager.cursor), [pager.cursor]);
  const [name, setName] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const create = useAction();

  return (
    <section>
      <PageTitle>Workspaces</PageTitle>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void create.run(async () => {
            const { data } = await api.createWorkspace(name.trim());
            setName("");
            navigate(`/workspaces/${encodeURIComponent(data.id)}`);
          });
        }}
      >
        <label for="new-workspace">New workspace name</label>
        <input id="new-workspace" required maxLength={100} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" disabled={create.busy}>Create workspace</button>
      </form>
      <ErrorAlert error={create.error} />
      <Status message={status} />

      <h2 id="workspace-list-heading">Your workspaces</h2>
      {list.loading && !list.data && <Loading what="workspaces" />}
      <ErrorAlert error={list.error}>
        <button type="button" onClick={list.reload}>Try again</button>
      </ErrorAlert>
      {list.data && list.data.items.length === 0 && <p>You have no workspaces yet. Create one above.</p>}
      {list.data && list.data.items.length > 0 && (
        <ul class="cards" aria-labelledby="workspace-list-heading">
          {list.data.items.map((workspace) => (
            <WorkspaceRow
              key={workspace.id}
              workspace={workspace}
              onChanged={(message) => {
                setStatus(message);
                list.reload();
              }}
            />
          ))}
        </ul>
      )}
      <Pager label="Workspaces" pageNumber={pager.pageNumber} nextCursor={list.data?.next_cursor} onNext={pager.next} onPrevious={pager.previous} />
    </section>
  );
}

function WorkspaceRow({ workspace, onChanged }: { workspace: Workspace; onChanged: (message: string) => void }) {
  const { api } = useServices();
  const [mode, setMode] = useState<"view" | "rename" | "delete">("view");
  const [name, setName] = useState(workspace.name);
  const action = useAction();
  const inputId = `rename-${workspace.id}`;

  return (
    <li class="card">
      <div class="card-head">
        <a href={`/workspaces/${encodeURIComponent(workspace.id)}`} class="card-title">
          {workspace.name}
        </a>
        <span class="badge">{ROLE_LABEL[workspace.role]}</span>
      </div>
      {mode === "view" && (
        <div class="actions">
          {atLeast(workspace.role, "admin") && (
            <button type="button" aria-label={`Rename ${workspace.name}`} onClick={() => setMode("rename")}>
              Rename
            </button>
          )}
          {workspace.role === "owner" && (
            <button type="button" class="danger" aria-label={`Delete ${workspace.name}`} onClick={() => setMode("delete")}>
              Delete
            </button>
          )}
        </div>
      )}
      {mode === "rename" && (
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(async () => {
              await api.renameWorkspace(workspace.id, name.trim(), etagOf(workspace));
              onChanged(`Renamed “${workspace.name}” to “${name.trim()}”.`);
              setMode("view");
            });
          }}
        >
          <label for={inputId}>New name for {workspace.name}</label>
          <input id={inputId} required maxLength={100} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          <button type="submit" disabled={action.busy}>Save name</button>
          <button type="button" onClick={() => setMode("view")}>Cancel</button>
        </form>
      )}
      {mode === "delete" && (
        <div class="confirm" role="group" aria-label={`Confirm deleting ${workspace.name}`}>
          <p>Delete “{workspace.name}” and all its tasks? This cannot be undone.</p>
          <button
            type="button"
            class="danger"
            disabled={action.busy}
            onClick={() =>
              void action.run(async () => {
                await api.deleteWorkspace(workspace.id, etagOf(workspace));
                onChanged(`Deleted “${workspace.name}”.`);
              })
            }
          >
            Delete workspace
          </button>
          <button type="button" onClick={() => setMode("view")}>Cancel</button>
        </div>
      )}
      <ErrorAlert error={action.error}>
        {action.error instanceof ApiError && action.error.status === 412 && (
          <p>
            Someone else changed this workspace.{" "}
            <button type="button" onClick={() => onChanged("Reloaded the workspaces.")}>Reload</button>
          </p>
        )}
      </ErrorAlert>
    </li>
  );
}
