// Live changes: a part of a workspace's pages listens to the workspace's changes feed and
// refreshes what it shows when someone changes it. Every listener of one workspace shares one
// feed (lib/changes.ts), so a page polls once every 3 s however many parts listen.
import { useEffect, useRef } from "preact/hooks";
import type { Api } from "../../api/client";
import { ChangesFeed, type ChangesListener } from "../../lib/changes";
import { useServices } from "../context";

const feeds = new Map<string, { api: Api; feed: ChangesFeed }>();

function feedFor(api: Api, workspaceId: string): ChangesFeed {
  const known = feeds.get(workspaceId);
  if (known && known.api === api && known.feed.active) return known.feed;
  const feed = new ChangesFeed((after, etag) => api.changes(workspaceId, after, etag));
  feeds.set(workspaceId, { api, feed });
  return feed;
}

/** Calls `listener` with the workspace's changes as the feed reports them (`resync`: refresh
 * everything). The listener may change between renders; the subscription stays. */
export function useChanges(workspaceId: string, listener: ChangesListener): void {
  const { api } = useServices();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => feedFor(api, workspaceId).subscribe((changes, resync) => latest.current(changes, resync)), [api, workspaceId]);
}
