// Members: everyone sees the list; admins and owners invite people by email (and see and revoke
// the invitations waiting for an answer), change roles and remove members, within their role's
// limits; anyone may leave. Nobody joins without accepting an invitation.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Invitation, type Member, type Role } from "../../api/client";
import { touches } from "../../lib/changes";
import { formatTime } from "../../lib/dates";
import { ROLE_LABEL, assignableRoles } from "../../lib/labels";
import { RoleBadge } from "../components/chips";
import { ConfirmDialog } from "../components/dialog";
import { ErrorAlert, Loading, RetryAlert, messageOf } from "../components/feedback";
import { TextField, inputValue } from "../components/fields";
import { Icon } from "../components/icons";
import { ChoiceMenu } from "../components/menu";
import { Options, TableHead } from "../components/table";
import { toasts } from "../components/toasts";
import { useServices } from "../context";
import { focusSoon, useAction, useLoad, type Loaded } from "../hooks";
import { navigate } from "../router";
import { memberName, type WorkspaceData } from "../workspace/data";
import { useChanges } from "../workspace/live";

function emailProblem(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  // Already a member, or already invited: the API says which.
  if (error.status === 409) return error.detail;
  if (error.status === 422 && error.errors.email) return "Enter an email address, such as name@example.com.";
  return null;
}

function InviteForm({ workspaceId, roles, onInvited }: { workspaceId: string; roles: Role[]; onInvited: () => void }) {
  const { api } = useServices();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [missing, setMissing] = useState(false);
  const invite = useAction();
  const fieldError = missing ? "Enter the email address of the person to invite." : emailProblem(invite.error);
  return (
    <form
      class="panel"
      aria-labelledby="invite-heading"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!email.trim()) {
          setMissing(true);
          document.getElementById("invite-email")?.focus();
          return;
        }
        void invite.run(async () => {
          const sent = await api.invite(workspaceId, email.trim(), role);
          setEmail("");
          toasts.show({ message: `Invitation sent to ${sent.email} (${ROLE_LABEL[sent.role].toLowerCase()}).` });
          onInvited();
        });
      }}
    >
      <h3 id="invite-heading">Invite someone</h3>
      <div class="field-row">
        <TextField
          id="invite-email"
          label="Email of the person to invite"
          type="email"
          autoComplete="off"
          value={email}
          onInput={(value) => {
            setEmail(value);
            setMissing(false);
            if (invite.error) invite.setError(null);
          }}
          error={fieldError}
          hint="We email them a link to join, whether or not they have an account yet. They join when they accept."
          class="grow"
        />
        <div class="field">
          <label for="invite-role">Role</label>
          <select id="invite-role" value={role} onChange={(e) => setRole(inputValue(e) as Role)}>
            <Options values={roles} labels={ROLE_LABEL} />
          </select>
        </div>
      </div>
      <button type="submit" class="button button--primary" disabled={invite.busy}>
        <Icon name="mail" />
        {invite.busy ? "Sending…" : "Send invitation"}
      </button>
      {!fieldError && <ErrorAlert error={invite.error} fields={["email"]} />}
    </form>
  );
}

function PendingInvitations({ workspaceId, members, roles, invitations }: { workspaceId: string; members: Member[]; roles: Role[]; invitations: Loaded<Invitation[]> }) {
  const { api, user } = useServices();
  const heading = useRef<HTMLHeadingElement>(null);
  const revoke = async (invitation: Invitation) => {
    try {
      await api.revokeInvitation(workspaceId, invitation.id);
      toasts.show({ message: `Revoked the invitation to ${invitation.email}.` });
    } catch (error) {
      if (!(error instanceof ApiError && error.isGone)) {
        toasts.show({ tone: "error", message: `The invitation to ${invitation.email} was not revoked: ${messageOf(error)}` });
        return;
      }
      toasts.show({ message: `The invitation to ${invitation.email} was already accepted, declined or expired.` });
    }
    invitations.setData((list) => list && list.filter((i) => i.id !== invitation.id));
    focusSoon(() => heading.current);
    invitations.refresh();
  };
  const list = invitations.data ?? [];
  return (
    <section aria-labelledby="invitations-heading">
      <h2 id="invitations-heading" tabIndex={-1} ref={heading}>
        Pending invitations
      </h2>
      {invitations.loading && !invitations.data && <Loading what="the invitations" />}
      <RetryAlert error={invitations.error} retry={invitations.reload} />
      {invitations.data && list.length === 0 && <p class="muted">No invitations are waiting for an answer.</p>}
      {list.length > 0 && (
        <table class="member-table invitation-table" role="table">
          <caption class="visually-hidden">Pending invitations</caption>
          <TableHead
            columns={[
              ["col-email", "Email"],
              ["col-role", "Role"],
              ["col-added", "Expires"],
              ["col-actions", null],
            ]}
          />
          <tbody role="rowgroup">
            {list.map((invitation) => (
              <tr role="row" key={invitation.id}>
                <td role="cell" class="col-email">
                  {invitation.email}
                  <span class="muted small invited-by"> Invited by {invitation.invited_by === user?.sub ? "you" : memberName(members, invitation.invited_by)}</span>
                </td>
                <td role="cell" class="col-role">
                  <span class="cell-label" aria-hidden="true">
                    Role
                  </span>
                  <RoleBadge role={invitation.role} />
                </td>
                <td role="cell" class="col-added">
                  <span class="cell-label" aria-hidden="true">
                    Expires
                  </span>
                  {formatTime(invitation.expires_at)}
                </td>
                <td role="cell" class="col-actions">
                  {roles.includes(invitation.role) && (
                    <button type="button" class="button button--danger-ghost" aria-label={`Revoke the invitation to ${invitation.email}`} onClick={() => void revoke(invitation)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
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
            message={isSelf ? "You will lose access to its tasks. Someone with the admin or owner role can invite you again." : `${member.email} will lose access to this workspace. Tasks assigned to them keep them as a former member.`}
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
  const { api, user } = useServices();
  const { workspace, members } = data;
  const roles = assignableRoles(workspace.role);
  const canInvite = roles.length > 0;
  const heading = useRef<HTMLHeadingElement>(null);
  const invitations = useLoad(() => (canInvite ? api.invitations(workspace.id) : Promise.resolve([])), [workspace.id, canInvite]);
  // Someone accepted, declined, or another admin invited or revoked: the list follows.
  useChanges(workspace.id, (changes, resync) => {
    if (canInvite && (resync || touches(changes, "invitation") || touches(changes, "member"))) invitations.refresh();
  });
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
      {canInvite && (
        <>
          <InviteForm workspaceId={workspace.id} roles={roles} onInvited={invitations.refresh} />
          <PendingInvitations workspaceId={workspace.id} members={members} roles={roles} invitations={invitations} />
        </>
      )}
    </div>
  );
}
