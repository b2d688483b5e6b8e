// The inbox in the header and around: the bell (a link to the notifications, with the unread
// count on it; the count sits over the icon, absolutely placed, so it moves nothing in the
// header), and the invitations waiting (a badge beside Workspaces, a notice on that page).
import { plural } from "../../lib/labels";
import { Icon } from "../components/icons";
import { useInboxCounts } from "./counts";

export function Bell({ current }: { current: boolean }) {
  const { unread } = useInboxCounts();
  const count = unread ?? 0;
  return (
    <a href="/notifications" class="icon-button bell" aria-current={current ? "page" : undefined} aria-label={count ? `Notifications: ${plural(count, "unread", "unread")}` : "Notifications"}>
      <Icon name="bell" />
      {count > 0 && (
        <span class="bell-count" aria-hidden="true">
          {count > 99 ? "99+" : count}
        </span>
      )}
    </a>
  );
}

/** The invitations waiting, beside the Workspaces link: "2", read as "2 invitations". */
export function InvitationsBadge() {
  const { invitations } = useInboxCounts();
  if (!invitations) return null;
  return (
    <span class="nav-count">
      {invitations}
      <span class="visually-hidden">{invitations === 1 ? " invitation" : " invitations"} waiting</span>
    </span>
  );
}

/** On the workspaces page: invitations waiting, and where to answer them. */
export function InvitationsNotice() {
  const { invitations } = useInboxCounts();
  if (!invitations) return null;
  return (
    <p class="notice">
      <Icon name="mail" />
      <span>
        {invitations === 1 ? "You are invited to join a workspace." : `You are invited to join ${invitations} workspaces.`}{" "}
        <a href="/invitations">See your invitations</a>
      </span>
    </p>
  );
}
