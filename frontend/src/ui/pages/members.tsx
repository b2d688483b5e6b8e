// Members: everyone sees the list; admins and owners add, change and remove (within their role's
// limits); anyone may leave.
import { useState } from "preact/hooks";
import type { Member, Role } from "../../api/client";
import { navigate } from "../router";
import { ErrorAlert, ROLE_LABEL, Status, assignableRoles, formatTime, useAction } from "../common";
import { useServices } from "../context";
import type { WorkspaceData } from "./workspace";

export function MembersSection({ data, onChanged }: { data: WorkspaceData; onChanged: () => void }) {
  const { api, user } = useServices();
  const { workspace, members } = data;
  const roles = assignableRoles(workspace.role);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [message, setMessage] = useState<string | null>(null);
  const add = useAction();

  const changed = (text: string) => {
    setMessage(text);
    onChanged();
  };

  return (
    <div>
      <h2>Members</h2>
      <Status message={message} />
      <table>
        <caption class="visually-hidden">Members</caption>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Added</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {members.map((member) => (
            <MemberRow key={`${member.user_id}:${member.role}`} workspaceId={workspace.id} member={member} isSelf={member.user_id === user?.sub} roles={roles} onChanged={changed} />
          ))}
        </tbody>
      </table>
      {roles.length > 0 && (
        <form
          class="panel"
          aria-labelledby="add-member-heading"
          onSubmit={(event) => {
            event.preventDefault();
            void add.run(async () => {
              const added = await api.addMember(workspace.id, email.trim(), role);
              setEmail("");
              changed(`Added ${added.email} as ${ROLE_LABEL[added.role].toLowerCase()}.`);
            });
          }}
        >
          <h3 id="add-member-heading">Add a member</h3>
          <div class="row">
            <div>
              <label for="member-email">Email of the person to add</label>
              <input id="member-email" type="email" required value={email} onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} />
            </div>
            <div>
              <label for="member-role">Role</label>
              <select id="member-role" value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as Role)}>
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {ROLE_LABEL[r]}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <p class="hint">They need an account already (anyone can sign up).</p>
          <button type="submit" disabled={add.busy}>Add member</button>
          <ErrorAlert error={add.error} />
        </form>
      )}
    </div>
  );
}

function MemberRow({ workspaceId, member, isSelf, roles, onChanged }: { workspaceId: string; member: Member; isSelf: boolean; roles: Role[]; onChanged: (message: string) => void }) {
  const { api } = useServices();
  const action = useAction();
  const [confirming, setConfirming] = useState(false);
  const manageable = roles.includes(member.role);
  const label = isSelf ? `${member.email} (you)` : member.email;
  return (
    <tr>
      <td>{label}</td>
      <td>
        {manageable && !isSelf ? (
          <select
            aria-label={`Role of ${member.email}`}
            value={member.role}
            disabled={action.busy}
            onChange={(event) => {
              const role = (event.currentTarget as HTMLSelectElement).value as Role;
              void action.run(async () => {
                await api.changeRole(workspaceId, member.user_id, role);
                onChanged(`${member.email} is now ${ROLE_LABEL[role].toLowerCase()}.`);
              });
            }}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </select>
        ) : (
          ROLE_LABEL[member.role]
        )}
      </td>
      <td>{formatTime(member.added_at)}</td>
      <td class="actions">
        {(manageable || isSelf) &&
          (!confirming ? (
            <button type="button" class="danger" aria-label={isSelf ? "Leave this workspace" : `Remove ${member.email}`} onClick={() => setConfirming(true)}>
              {isSelf ? "Leave" : "Remove"}
            </button>
          ) : (
            <span role="group" aria-label={isSelf ? "Confirm leaving" : `Confirm removing ${member.email}`}>
              <button
                type="button"
                class="danger"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await api.removeMember(workspaceId, member.user_id);
                    if (isSelf) navigate("/workspaces");
                    else onChanged(`Removed ${member.email}.`);
                  })
                }
              >
                {isSelf ? "Confirm leaving" : "Confirm removal"}
              </button>
              <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
            </span>
          ))}
        <ErrorAlert error={action.error} />
      </td>
    </tr>
  );
}
