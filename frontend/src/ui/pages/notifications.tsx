// The inbox: what others did that concerns the signed-in user, newest first, each in words and
// linking to what it is about (the task, the workspace, the invitations); unread ones stand out,
// and an "unread only" filter lives in the URL. "Mark all as read" marks everything up to the
// newest one shown; opening the oldest unread one marks it read.
import { useRef } from "preact/hooks";
import type { ComponentChildren } from "preact";
import type { InboxNotification, Member, Workspace } from "../../api/client";
import { formatTime } from "../../lib/dates";
import { plural } from "../../lib/labels";
import { ErrorAlert, Loading, PageTitle, RetryAlert } from "../components/feedback";
import { inputValue } from "../components/fields";
import { Icon, type IconName } from "../components/icons";
import { Pager } from "../components/pager";
import { toasts } from "../components/toasts";
import { useServices } from "../context";
import { useAction, useLoad, usePager } from "../hooks";
import { refreshUnread, setUnread, useInboxCounts } from "../inbox/counts";
import { paths, replaceQuery } from "../router";
import { FORMER_MEMBER } from "../workspace/data";

const ICON: Record<string, IconName> = {
  "task.assigned": "person",
  "comment.created": "comment",
  "comment.mentioned": "comment",
  "invitation.received": "mail",
  "member.role_changed": "people",
};

/** Where a notification leads: its task, the invitations, or its workspace. */
function linkOf(notification: InboxNotification): string {
  if (notification.type === "invitation.received") return "/invitations";
  if (notification.target.type === "task") return paths.task(notification.workspace_id, notification.target.id);
  return paths.workspace(notification.workspace_id);
}

/** The notification as a sentence: who did what, with the thing it concerns as the link. */
function Sentence({ notification, actor, workspace, onOpen }: { notification: InboxNotification; actor: string; workspace: string; onOpen: () => void }) {
  const label = notification.target.label || (notification.target.type === "task" ? "a task" : workspace);
  const link = (text: string) => (
    <a href={linkOf(notification)} class="task-link" data-nav-item onClick={onOpen}>
      {text}
    </a>
  );
  const says: Record<string, ComponentChildren> = {
    "task.assigned": <>{actor} assigned you {link(label)}</>,
    "comment.created": <>{actor} commented on {link(label)}</>,
    "comment.mentioned": <>{actor} mentioned you in a comment on {link(label)}</>,
    "invitation.received": <>{actor} invited you to join {link(notification.target.label || "a workspace")}</>,
    "member.role_changed": <>{actor} changed your role in {link(workspace)}</>,
  };
  return <p class="inbox-sentence">{says[notification.type] ?? <>{actor}: {link(label)}</>}</p>;
}

export function NotificationsPage({ search }: { search: string }) {
  const { api } = useServices();
  const unreadOnly = new URLSearchParams(search).get("unread") === "1";
  const pager = usePager(unreadOnly ? "unread" : "all");
  const heading = useRef<HTMLHeadingElement>(null);
  const { unread } = useInboxCounts();
  // A page of notifications comes with what names them: the workspaces, and the people (by
  // email) of those where something happened, read once per visit. All at once, so that names
  // arriving later never reflow the list.
  const known = useRef<{ workspaces?: Promise<Workspace[]>; members: Map<string, Promise<Member[]>> }>({ members: new Map() });
  const list = useLoad(async () => {
    known.current.workspaces ??= api.all<Workspace>("/workspaces").catch((error: unknown) => {
      known.current.workspaces = undefined; // "Try again" reads them again
      throw error;
    });
    const [page, workspaces] = await Promise.all([api.notifications({ unread: unreadOnly }, pager.cursor), known.current.workspaces]);
    const names = new Map<string, string>();
    const mine = page.items.map((n) => n.workspace_id).filter((id) => workspaces.some((w) => w.id === id));
    for (const id of new Set(mine)) if (!known.current.members.has(id)) known.current.members.set(id, api.members(id).catch(() => []));
    for (const members of await Promise.all([...new Set(mine)].map((id) => known.current.members.get(id)!))) {
      for (const member of members) names.set(member.user_id, member.email);
    }
    return { ...page, workspaces, names };
  }, [unreadOnly, pager.cursor]);
  const items = list.data?.items ?? [];
  const markAll = useAction();
  const newest = pager.pageNumber === 1 ? items[0] : undefined;

  /** `all`: up to the newest, so every unread one (on later pages too) is read now. */
  const markRead = async (upTo: InboxNotification, all = false) => {
    await api.markNotificationsRead(upTo.id);
    const marked = all ? Infinity : items.filter((n) => !n.read && n.id <= upTo.id).length;
    list.setData((page) => page && { ...page, items: page.items.map((n) => (n.id <= upTo.id ? { ...n, read: true } : n)) });
    // The bell at once, then as the server counts.
    if (unread !== null) setUnread(Math.max(0, unread - marked));
    void refreshUnread(api);
  };

  /** Opening the oldest unread notification marks it read (the API marks "this one and all
   * older"; a newer one would take older unread ones with it). */
  const opened = (notification: InboxNotification) => {
    const index = items.indexOf(notification);
    const olderUnread = items.slice(index + 1).some((n) => !n.read) || Boolean(list.data?.next_cursor);
    if (notification.read || olderUnread) return;
    markRead(notification).catch(() => undefined);
  };

  const workspaceName = (id: string) => list.data?.workspaces.find((w) => w.id === id)?.name ?? "a workspace";
  // Someone no longer in the workspace is a former member; the inviter to a workspace the user
  // is not in yet cannot be named (the API gives their id only).
  const actorName = (notification: InboxNotification) =>
    list.data?.names.get(notification.actor_id) ?? (list.data?.workspaces.some((w) => w.id === notification.workspace_id) ? FORMER_MEMBER : "Someone");

  return (
    <section>
      <PageTitle>Notifications</PageTitle>
      <p class="lead">
        When someone assigns you a task, comments on one of yours, mentions you, invites you or changes your role. Choose how you are emailed under{" "}
        <a href="/account">Account</a>.
      </p>
      <div class="filters">
        <div class="field">
          <label for="notification-filter">Show</label>
          <select id="notification-filter" value={unreadOnly ? "1" : ""} onChange={(e) => replaceQuery({ unread: inputValue(e) })}>
            <option value="">All notifications</option>
            <option value="1">Unread only</option>
          </select>
        </div>
        <button
          type="button"
          class="button"
          disabled={!newest || markAll.busy || !unread}
          onClick={() =>
            void markAll.run(async () => {
              if (!newest) return;
              await markRead(newest, true);
              toasts.show({ message: "All notifications are marked as read." });
              if (unreadOnly) list.reload();
            })
          }
        >
          <Icon name="check" />
          Mark all as read
        </button>
      </div>
      <ErrorAlert error={markAll.error} />
      <div class="list-head">
        <h2 id="list-heading" tabIndex={-1} ref={heading}>
          {unreadOnly ? "Unread" : "All"}
          {unread ? <span class="count">{plural(unread, "unread", "unread")}</span> : null}
        </h2>
        {list.loading && list.data && <Loading what="notifications" />}
      </div>
      {list.loading && !list.data && <Loading what="your notifications" />}
      <RetryAlert error={list.error} retry={list.reload} />
      {list.data && items.length === 0 && !list.loading && (
        <div class="empty">
          <p>{unreadOnly ? "No unread notifications." : "No notifications yet."}</p>
          {unreadOnly && (
            <button type="button" class="button" onClick={() => replaceQuery({ unread: null })}>
              Show all notifications
            </button>
          )}
        </div>
      )}
      {items.length > 0 && (
        <ol class={`inbox${list.loading ? " is-stale" : ""}`} aria-labelledby="list-heading" aria-busy={list.loading}>
          {items.map((notification) => (
            <li key={notification.id} class={notification.read ? "inbox-item" : "inbox-item is-unread"}>
              <Icon name={ICON[notification.type] ?? "bell"} />
              <div class="inbox-text">
                <Sentence
                  notification={notification}
                  actor={actorName(notification)}
                  workspace={workspaceName(notification.workspace_id)}
                  onOpen={() => opened(notification)}
                />
                <p class="meta">
                  {!notification.read && <span class="badge badge--unread">Unread</span>}
                  {notification.type !== "invitation.received" && <>{workspaceName(notification.workspace_id)} · </>}
                  <time dateTime={notification.at}>{formatTime(notification.at)}</time>
                </p>
              </div>
            </li>
          ))}
        </ol>
      )}
      <Pager label="Notifications" pager={pager} nextCursor={list.data?.next_cursor} heading={heading} />
    </section>
  );
}

