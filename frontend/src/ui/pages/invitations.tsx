// The invitations waiting for the signed-in user: each names the workspace, who invited and the
// role; Accept joins it (and opens it), Decline says no. The link in an invitation email leads here (through
// sign-up or sign-in first); when it was meant for another address than the one signed in, the
// page says so and offers to switch.
import { useRef } from "preact/hooks";
import { ApiError, type MyInvitation } from "../../api/client";
import { formatTime } from "../../lib/dates";
import { ROLE_LABEL } from "../../lib/labels";
import { ErrorAlert, Loading, PageTitle, RetryAlert } from "../components/feedback";
import { Icon } from "../components/icons";
import { toasts } from "../components/toasts";
import { useServices } from "../context";
import { focusSoon, useAction, useLoad } from "../hooks";
import { refreshInvitations, refreshUnread } from "../inbox/counts";
import { navigate, paths } from "../router";

const GONE = "This invitation is no longer open: it expired, was revoked, or was answered elsewhere.";

function InvitationCard({ invitation, onAnswered }: { invitation: MyInvitation; onAnswered: (id: string) => void }) {
  const { api } = useServices();
  const answer = useAction();
  const name = invitation.workspace_name;

  const accept = () =>
    void answer.run(async () => {
      try {
        const member = await api.acceptInvitation(invitation.id);
        toasts.show({ message: `You joined ${name} as ${ROLE_LABEL[member.role].toLowerCase()}.` });
        void refreshInvitations(api);
        navigate(paths.workspace(invitation.workspace_id));
      } catch (error) {
        if (!(error instanceof ApiError && error.isGone)) throw error;
        toasts.show({ tone: "error", message: `${name}: ${GONE}` });
        onAnswered(invitation.id);
      }
    });

  const decline = () =>
    void answer.run(async () => {
      try {
        await api.declineInvitation(invitation.id);
        toasts.show({ message: `You declined the invitation to ${name}.` });
      } catch (error) {
        if (!(error instanceof ApiError && error.isGone)) throw error;
        toasts.show({ tone: "error", message: `${name}: ${GONE}` });
      }
      onAnswered(invitation.id);
    });

  return (
    <li class="card invitation-card" aria-labelledby={`invitation-${invitation.id}`}>
      <h3 id={`invitation-${invitation.id}`} class="card-title">
        <Icon name="folder" />
        <span>{name}</span>
      </h3>
      <p>
        {/* The whole address, not a name: whether to trust the invitation depends on it. */}
        <span class="invitation-from">{invitation.invited_by_email}</span> invites you to join as{" "}
        <strong>{ROLE_LABEL[invitation.role].toLowerCase()}</strong>. The invitation is open until{" "}
        {formatTime(invitation.expires_at)}.
      </p>
      <div class="actions">
        <button type="button" class="button button--primary" disabled={answer.busy} aria-label={`Accept the invitation to ${name}`} onClick={accept}>
          <Icon name="check" />
          Accept
        </button>
        <button type="button" class="button" disabled={answer.busy} aria-label={`Decline the invitation to ${name}`} onClick={decline}>
          Decline
        </button>
      </div>
      <ErrorAlert error={answer.error} />
    </li>
  );
}

/** `invitedEmail`: the address the email's link names (empty when the page was opened otherwise). */
export function InvitationsPage({ invitedEmail }: { invitedEmail: string }) {
  const { api, auth, drafts, user } = useServices();
  const heading = useRef<HTMLHeadingElement>(null);
  const list = useLoad(() => api.myInvitations(), []);
  const signOut = useAction();
  const otherAddress = invitedEmail && user && invitedEmail.toLowerCase() !== user.email.toLowerCase();
  const items = list.data ?? [];

  const answered = (id: string) => {
    list.setData((current) => current && current.filter((i) => i.id !== id));
    void refreshInvitations(api);
    void refreshUnread(api);
    focusSoon(() => heading.current);
  };

  return (
    <section>
      <PageTitle>Invitations</PageTitle>
      {otherAddress && (
        <div class="notice notice--warning" role="status">
          <p>
            This invitation was sent to <strong>{invitedEmail}</strong>, but you are signed in as <strong>{user.email}</strong>. To accept it, sign
            in as {invitedEmail}, or create an account with that address.
          </p>
          <button
            type="button"
            class="button"
            disabled={signOut.busy}
            onClick={() =>
              void signOut.run(async () => {
                drafts.clearAll();
                // Signed out, this same address shows the sign-up form for the invited address.
                await auth.signOut().catch(() => undefined);
                navigate(`/invitations?email=${encodeURIComponent(invitedEmail)}`, { replace: true });
              })
            }
          >
            Sign out and continue as {invitedEmail}
          </button>
        </div>
      )}
      <h2 id="invitations-list-heading" tabIndex={-1} ref={heading}>
        Waiting for your answer
      </h2>
      {list.loading && !list.data && <Loading what="your invitations" />}
      <RetryAlert error={list.error} retry={list.reload} />
      {list.data && items.length === 0 && (
        <div class="empty">
          <p>No invitations are waiting for you.</p>
          <p class="muted">
            Invitations to {user?.email ?? "your address"} appear here, and in your <a href="/notifications">notifications</a>.
          </p>
        </div>
      )}
      {items.length > 0 && (
        <ul class="cards" aria-labelledby="invitations-list-heading">
          {items.map((invitation) => (
            <InvitationCard key={invitation.id} invitation={invitation} onAnswered={answered} />
          ))}
        </ul>
      )}
    </section>
  );
}
