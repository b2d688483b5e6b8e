// A workspace's changes feed, polled every 3 s while the page is visible (GET .../changes with
// If-None-Match: an unchanged feed answers 304, with no body). One feed per workspace, however
// many parts of the page listen; it stops when the last one leaves. Listeners hear what changed
// (to refresh just that) or `resync` (refresh everything: the feed lost its place, or the
// workspace answered 404). No UI here: the hook is in ui/workspace/live.ts.
import { ApiError, type Change, type ChangesPage } from "../api/client";

export const CHANGES_POLL_MS = 3000;
/** After a failure (network, 5xx), polls slow down to at most this. */
export const CHANGES_BACKOFF_MAX_MS = 30_000;
/** The most changes one read returns: a full page means more are waiting. */
export const CHANGES_PAGE_MAX = 100;

export type ChangesListener = (changes: Change[], resync: boolean) => void;

export type ReadChanges = (after: string | null, etag: string | null) => Promise<{ page: ChangesPage | null; etag: string | null }>;

/** What the feed needs of the browser: timers and the Page Visibility API. */
export interface FeedEnvironment {
  visible(): boolean;
  onVisibilityChange(listener: () => void): () => void;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const browserEnvironment: FeedEnvironment = {
  visible: () => document.visibilityState === "visible",
  onVisibilityChange(listener) {
    document.addEventListener("visibilitychange", listener);
    return () => document.removeEventListener("visibilitychange", listener);
  },
  setTimeout: (run, ms) => window.setTimeout(run, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number),
};

export class ChangesFeed {
  private readonly listeners = new Set<ChangesListener>();
  private next: string | null = null;
  private etag: string | null = null;
  private timer: unknown = null;
  private polling = false;
  private failures = 0;
  private stopped = true;
  private stopVisibility: (() => void) | null = null;

  constructor(
    private readonly read: ReadChanges,
    private readonly env: FeedEnvironment = browserEnvironment,
    readonly intervalMs = CHANGES_POLL_MS,
  ) {}

  /** Starts the feed with its first listener; the returned function removes the listener. */
  subscribe(listener: ChangesListener): () => void {
    this.listeners.add(listener);
    if (this.stopped) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  get active(): boolean {
    return !this.stopped;
  }

  private start(): void {
    this.stopped = false;
    this.stopVisibility = this.env.onVisibilityChange(() => {
      if (this.stopped) return;
      // Hidden: no polling at all. Visible again: at once, then every interval.
      this.cancel();
      if (this.env.visible()) void this.poll();
    });
    if (this.env.visible()) void this.poll();
  }

  private stop(): void {
    this.stopped = true;
    this.cancel();
    this.stopVisibility?.();
    this.stopVisibility = null;
  }

  private cancel(): void {
    if (this.timer !== null) this.env.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.cancel();
    if (this.stopped || !this.env.visible()) return;
    this.timer = this.env.setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, ms);
  }

  private emit(changes: Change[], resync: boolean): void {
    for (const listener of [...this.listeners]) listener(changes, resync);
  }

  /** One read, and the next one scheduled. Never two at once. */
  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    let delay = this.intervalMs;
    try {
      const { page, etag } = await this.read(this.next, this.next === null ? null : this.etag);
      this.failures = 0;
      if (this.stopped) return;
      if (page) {
        const first = this.next === null;
        this.next = page.next;
        this.etag = etag;
        if (!first && page.changes.length) this.emit(page.changes, false);
        // A full page: more changes are waiting, read them now.
        if (page.changes.length >= CHANGES_PAGE_MAX) delay = 0;
      }
    } catch (error) {
      if (this.stopped) return;
      if (error instanceof ApiError && (error.status === 400 || error.status === 404 || error.status === 422)) {
        // The feed lost its place (a token it no longer knows), or the workspace is gone:
        // start again from now, and have everyone read what they show afresh.
        this.next = null;
        this.etag = null;
        this.emit([], true);
        if (error.status === 404) {
          this.polling = false;
          this.stop();
          return;
        }
      } else {
        this.failures += 1;
        delay = Math.min(CHANGES_BACKOFF_MAX_MS, this.intervalMs * 2 ** this.failures);
      }
    } finally {
      this.polling = false;
    }
    this.schedule(delay);
  }
}

/** Whether any of these changes touched something of this type (and id, if given). */
export function touches(changes: Change[], type: string, id?: string): boolean {
  return changes.some((change) => change.target.type === type && (id === undefined || change.target.id === id));
}
