// Members: everyone sees the list; admins and owners add, change and remove (within their role's
// limits); anyone may leave.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Member, type Role } from "../../api/client";
import { formatTime } from "../../lib/dates";
import { ROLE_LABEL, assignableRoles } from "../../lib/labels";
import { RoleBadge } from "../components/chips";
import { ConfirmDialog } from "../components/dialog";
import { ErrorAlert, messageOf } from "../components/feedback";
import { TextField, inputValue } from "../components/fields";
import { Icon } from "../components/icons";
import { ChoiceMenu } from "../components/menu";
import { Options, TableHead } from "../components/table";
import { toasts } from "../components/toasts";
import { useServices } from "../context";
import { useAction } from "../hooks";
import { navigate } from "../router";
import type { WorkspaceData } from "../workspace/data";

function emailProblem(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 404) return "Nobody with this email has an account yet. Ask them to sign up first, then add them.";
  if (error.status === 409) return "This person is already a member of the workspace.";
  if (error.status === 422 && error.errors.email) return "Enter an email address, such as name@example.com.";
  return null;
}

function AddMember({ workspaceId, roles, onAdded }: { workspaceId: string; roles: Role[]; onAdded: () => void }) {
  const { api } = useServices();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [missing, setMissing] = useState(false);
  const add = useAction();
  const fieldError = missing ? "Enter the email address of the person to add." : emailProblem(add.error);
  return (
    <form
      class="panel"
      aria-labelledby="add-member-heading"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!email.trim()) {
          setMissing(true);
          document.getElementById("member-email")?.focus();
          return;
        }
        void add.run(async () => {
          const added = await api.addMember(workspaceId, email.trim(), role);
          setEmail("");
          toasts.show({ message: `Added ${added.email} as ${ROLE_LABEL[added.role].toLowerCase()}.` });
          onAdded();
        });
      }}
    >
      <h3 id="add-member-heading">Add a member</h3>
      <div class="field-row">
        <TextField
          id="member-email"
          label="Email of the person to add"
          type="email"
          autoComplete="off"
          value={email}
          onInput={(value) => {
            setEmail(value);
            setMissing(false);
            if (add.error) add.setError(null);
          }}
          error={fieldError}
          hint="They need an account already (anyone can sign up)."
          class="grow"
        />
        <div class="field">
          <label for="member-role">Role</label>
          <select id="member-role" value={role} onChange={(e) => setRole(inputValue(e) as Role)}>
            <Options values={roles} labels={ROLE_LABEL} />
          </select>
        </div>
      </div>
      <button type="submit" class="button button--primary" disabled={add.busy}>
        <Icon name="plus" />
        Add member
      </button>
      {!fieldError && <ErrorAlert error={add.error} fields={["email"]} />}
    </form>
  );
}

function MemberRow({ workspaceId, member, isSelf, roles, onChanged, onRemoved }: {
  workspaceId: string;
  member: Member;
  isSelf: boolean;
  roles: Role[];
  onChanged: () => void;
  onRemoved: () => void;
}) {
  const { api } = useServices();
  const [role, setRole] = useState(member.role);
  const [confirming, setConfirming] = useState(false);
  const remove = useAction();
  useEffect(() => setRole(member.role), [member.role]);
  const manageable = roles.includes(member.role);
  const label = isSelf ? `${member.email} (you)` : member.email;

  const changeRole = async (next: Role) => {
    setRole(next);
    try {
      await api.changeRole(workspaceId, member.user_id, next);
      toasts.show({ message: `${member.email} is now ${ROLE_LABEL[next].toLowerCase()}.` });
      onChanged();
    } catch (error) {
      setRole(member.role);
      toasts.show({ tone: "error", message: `${member.email}'s role was not changed: ${messageOf(error)}` });
    }
  };

  return (
    <tr role="row">
      <td role="cell" class="col-email">
        {label}
      </td>
      <td role="cell" class="col-role">
        <span class="cell-label" aria-hidden="true">
          Role
        </span>
        {manageable && !isSelf ? (
          <ChoiceMenu label={`Role of ${member.email}`} value={role} choices={roles.map((r) => ({ value: r, label: ROLE_LABEL[r] }))} onChoose={(r) => void changeRole(r)} />
        ) : (
          <RoleBadge role={role} />
        )}
      </td>
      <td role="cell" class="col-added">
        <span class="cell-label" aria-hidden="true">
          Added
        </span>
        {formatTime(member.added_at)}
      </td>
      <td role="cell" class="col-actions">
        {(manageable || isSelf) && (
          <button type="button" class="button button--danger-ghost" aria-label={isSelf ? "Leave this workspace" : `Remove ${member.email}`} onClick={() => setConfirming(true)}>
            {isSelf ? "Leave" : "Remove"}
          </button>
        )}
        {confirming && (
          <ConfirmDialog
            title={isSelf ? "Leave this workspace?" : `Remove ${member.email}?`}
            message={isSelf ? "You will lose access to its tasks. Someone with the admin or owner role can add you again." : `${member.email} will lose access to this workspace. Tasks assigned to them keep them as a former member.`}
            confirm={isSelf ? "Leave workspace" : "Remove member"}
            busy={remove.busy}
            onClose={() => setConfirming(false)}
            onConfirm={() =>
              void remove.run(async () => {
                await api.removeMember(workspaceId, member.user_id);
                setConfirming(false);
                if (isSelf) {
                  toasts.show({ message: "You left the workspace." });
                  navigate("/workspaces");
                } else {
                  toasts.show({ message: `Removed ${member.email}.` });
                  onRemoved();
                }
              })
            }
          >
            <ErrorAlert error={remove.error} />
          </ConfirmDialog>
        )}
      </td>
    </tr>
  );
}

export function MembersPage({ data, onChanged }: { data: WorkspaceData; onChanged: () => void }) {
  const { user } = useServices();
  const { workspace, members } = data;
  const roles = assignableRoles(workspace.role);
  const heading = useRef<HTMLHeadingElement>(null);
  return (
    <div>
      <h2 id="members-heading" tabIndex={-1} ref={heading}>
        Members
      </h2>
      <table class="member-table" role="table">
        <caption class="visually-hidden">Members</caption>
        <TableHead
          columns={[
            ["col-email", "Email"],
            ["col-role", "Role"],
            ["col-added", "Added"],
            ["col-actions", null],
          ]}
        />
        <tbody role="rowgroup">
          {members.map((member) => (
            <MemberRow
              key={member.user_id}
              workspaceId={workspace.id}
              member={member}
              isSelf={member.user_id === user?.sub}
              roles={roles}
              onChanged={onChanged}
              onRemoved={() => {
                // After the dialog has closed (and given focus back): the row is about to go.
                setTimeout(() => heading.current?.focus(), 0);
                onChanged();
              }}
            />
          ))}
        </tbody>
      </table>
      {roles.length > 0 && <AddMember workspaceId={workspace.id} roles={roles} onAdded={onChanged} />}
    </div>
  );
}
