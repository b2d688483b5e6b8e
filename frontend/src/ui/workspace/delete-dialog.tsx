// Deleting a workspace (owners), after a confirmation: from the workspaces page, and from the
// members page when its only owner wants to leave.
import { ConfirmDialog } from "../components/dialog";
import { ErrorAlert } from "../components/feedback";
import { toasts } from "../components/toasts";
import { useServices } from "../context";
import { useAction } from "../hooks";

export function DeleteWorkspaceDialog({ workspace, etag, onClose, onDeleted }: { workspace: { id: string; name: string }; etag: string; onClose: () => void; onDeleted: () => void }) {
  const { api } = useServices();
  const deletion = useAction();
  return (
    <ConfirmDialog
      title={`Delete ${workspace.name}?`}
      message={`“${workspace.name}” and all its tasks will be deleted for everyone in it. This cannot be undone.`}
      confirm="Delete workspace"
      busy={deletion.busy}
      onClose={onClose}
      onConfirm={() =>
        void deletion.run(async () => {
          await api.deleteWorkspace(workspace.id, etag);
          toasts.show({ message: `Deleted “${workspace.name}”.` });
          onDeleted();
        })
      }
    >
      <ErrorAlert error={deletion.error} />
    </ConfirmDialog>
  );
}
