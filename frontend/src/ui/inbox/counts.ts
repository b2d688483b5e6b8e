// The signed-in user's inbox at a glance: how many notifications are unread (the bell) and how
// many invitations wait for an answer (the badge on Workspaces). The unread count is read on
// sign-in, on every move to another page, when the tab is shown again and every 30 s while it is
// visible (one small GET); the invitations when the unread count grows (an invitation comes with
// a notification), and when a page says they changed.
import { useEffect } from "preact/hooks";
import type { Api } from "../../api/client";
import { createStore, useStore } from "../../lib/store";
import { whileVisible } from "../hooks";

export const INBOX_REFRESH_MS = 30_000;

export interface InboxCounts {
  /** Unread notifications; null until known. */
  unread: number | null;
  /** Invitations waiting for the caller; null until known. */
  invitations: number | null;
}

const counts = createStore<InboxCounts>({ unread: null, invitations: null });
let reading: Promise<void> | null = null;
// Asked for while a read was under way: that read may have started before what changed the
// count (a notification marked read), so another one follows it.
let again = false;

export function useInboxCounts(): InboxCounts {
  return useStore(counts);
}

/** Reads the invitations waiting for the caller. */
export async function refreshInvitations(api: Api): Promise<void> {
  try {
    const waiting = await api.myInvitations();
    counts.set({ ...counts.get(), invitations: waiting.length });
  } catch {
    // The badge is a hint: it keeps what it had, and the next refresh tries again.
  }
}

/** Reads the unread count (one call at a time, and one more after it if asked for meanwhile),
 * and the invitations if it grew. */
export function refreshUnread(api: Api): Promise<void> {
  if (reading) {
    again = true;
    return reading;
  }
  reading = api
    .notificationSummary()
    .then(
      ({ unread }) => {
        const before = counts.get();
        counts.set({ ...before, unread });
        if (before.unread !== null && unread > before.unread) void refreshInvitations(api);
      },
      () => undefined,
    )
    .finally(() => {
      reading = null;
      if (again) {
        again = false;
        void refreshUnread(api);
      }
    });
  return reading;
}

/** Sets the unread count at once (after "mark all as read"), before the server is asked again. */
export function setUnread(unread: number): void {
  counts.set({ ...counts.get(), unread });
}

/** Keeps the counts fresh while signed in: `pageKey` changes on every move to another page. */
export function useInboxPolling(api: Api, signedIn: boolean, pageKey: number): void {
  useEffect(() => {
    if (!signedIn) {
      counts.set({ unread: null, invitations: null });
      return;
    }
    void refreshUnread(api);
    void refreshInvitations(api);
    return whileVisible(() => void refreshUnread(api), INBOX_REFRESH_MS);
  }, [api, signedIn]);
  useEffect(() => {
    if (signedIn && pageKey > 0) void refreshUnread(api);
  }, [pageKey]);
}
