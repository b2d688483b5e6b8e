// The changes feed's poller: every 3 s while visible, If-None-Match, nothing while hidden,
// catching up on a full page, starting again when it lost its place, slowing down on failures.
import { describe, expect, it } from "vitest";
import { ApiError, type Change, type ChangesPage } from "../src/api/client";
import { CHANGES_BACKOFF_MAX_MS, CHANGES_PAGE_MAX, ChangesFeed, touches, type FeedEnvironment } from "../src/lib/changes";

/** A clock and a page whose visibility the test sets. */
class FakeEnvironment implements FeedEnvironment {
  now = 0;
  shown = true;
  private timers: { at: number; run: () => void; id: number }[] = [];
  private listeners = new Set<() => void>();
  private nextId = 1;
  visible = () => this.shown;
  onVisibilityChange(listener: () => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  setTimeout = (run: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, run, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  get pending() {
    return this.timers.map((t) => t.at - this.now);
  }
  setVisible(shown: boolean) {
    this.shown = shown;
    for (const listener of this.listeners) listener();
  }
  /** Moves the clock, running each timer that falls due (and what its promises do). */
  async advance(ms: number) {
    const end = this.now + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.run();
    }
    this.now = end;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

const change = (n: number, type = "task"): Change => ({ action: `${type}.updated`, at: "2026-12-06T10:00:00.000Z", target: { type, id: `id${n}` } });

/** The server side: records each read and answers from a script (a page, "304", or an error). */
function server(...answers: (ChangesPage | "304" | ApiError)[]) {
  const reads: { after: string | null; etag: string | null }[] = [];
  let n = 0;
  const read = async (after: string | null, etag: string | null) => {
    reads.push({ after, etag });
    const answer = answers[Math.min(n++, answers.length - 1)];
    if (answer instanceof ApiError) throw answer;
    if (answer === "304") return { page: null, etag };
    return { page: answer, etag: `"${answer.next}"` };
  };
  return { read, reads };
}

function subscribe(feed: ChangesFeed) {
  const heard: { changes: Change[]; resync: boolean }[] = [];
  const stop = feed.subscribe((changes, resync) => heard.push({ changes, resync }));
  return { heard, stop };
}

describe("the changes feed", () => {
  it("takes its place first, then polls every 3 s with the token and the ETag, and reports what changed", async () => {
    const env = new FakeEnvironment();
    const { read, reads } = server({ changes: [], next: "t0" }, "304", { changes: [change(1)], next: "t1" }, "304");
    const { heard } = subscribe(new ChangesFeed(read, env));
    await env.advance(0);
    expect(reads).toEqual([{ after: null, etag: null }]);
    await env.advance(2999);
    expect(reads).toHaveLength(1);
    await env.advance(1);
    expect(reads[1]).toEqual({ after: "t0", etag: '"t0"' });
    expect(heard).toEqual([]);
    await env.advance(3000);
    expect(reads[2]).toEqual({ after: "t0", etag: '"t0"' });
    expect(heard).toEqual([{ changes: [change(1)], resync: false }]);
    await env.advance(3000);
    expect(reads[3]).toEqual({ after: "t1", etag: '"t1"' });
  });

  it("does not poll while the page is hidden, and polls at once when it is shown again", async () => {
    const env = new FakeEnvironment();
    const { read, reads } = server({ changes: [], next: "t0" }, "304");
    subscribe(new ChangesFeed(read, env));
    await env.advance(3000);
    expect(reads).toHaveLength(2);
    env.setVisible(false);
    await env.advance(60_000);
    expect(reads).toHaveLength(2);
    expect(env.pending).toEqual([]);
    env.setVisible(true);
    await env.advance(0);
    expect(reads).toHaveLength(3);
    await env.advance(3000);
    expect(reads).toHaveLength(4);
  });

  it("reads on at once after a full page (more changes are waiting)", async () => {
    const env = new FakeEnvironment();
    const full = Array.from({ length: CHANGES_PAGE_MAX }, (_, i) => change(i));
    const { read, reads } = server({ changes: [], next: "t0" }, { changes: full, next: "t1" }, { changes: [change(100)], next: "t2" }, "304");
    const { heard } = subscribe(new ChangesFeed(read, env));
    await env.advance(3000);
    expect(reads.map((r) => r.after)).toEqual([null, "t0", "t1"]);
    expect(heard.map((h) => h.changes.length)).toEqual([CHANGES_PAGE_MAX, 1]);
  });

  it("starts again from now, and has everyone read afresh, when its token is refused", async () => {
    const env = new FakeEnvironment();
    const { read, reads } = server({ changes: [], next: "t0" }, new ApiError(400, "Bad Request", "Invalid token"), { changes: [], next: "t9" }, "304");
    const { heard } = subscribe(new ChangesFeed(read, env));
    await env.advance(3000);
    expect(heard).toEqual([{ changes: [], resync: true }]);
    await env.advance(3000);
    expect(reads.map((r) => r.after)).toEqual([null, "t0", null]);
    await env.advance(3000);
    expect(reads[3]).toEqual({ after: "t9", etag: '"t9"' });
  });

  it("stops, after one last refresh for everyone, when the workspace is gone", async () => {
    const env = new FakeEnvironment();
    const feed = new ChangesFeed(server({ changes: [], next: "t0" }, new ApiError(404, "Not Found", "Workspace not found")).read, env);
    const { heard } = subscribe(feed);
    await env.advance(3000);
    expect(heard).toEqual([{ changes: [], resync: true }]);
    expect(feed.active).toBe(false);
    expect(env.pending).toEqual([]);
  });

  it("slows down while the service cannot be reached, and keeps its place", async () => {
    const env = new FakeEnvironment();
    const down = new ApiError(0, "Network error", "The service could not be reached.");
    const { read, reads } = server({ changes: [], next: "t0" }, down, down, down, down, down, { changes: [change(1)], next: "t1" });
    const { heard } = subscribe(new ChangesFeed(read, env));
    await env.advance(3000);
    expect(env.pending).toEqual([6000]);
    await env.advance(6000);
    expect(env.pending).toEqual([12_000]);
    await env.advance(12_000 + 24_000);
    expect(env.pending).toEqual([CHANGES_BACKOFF_MAX_MS]);
    await env.advance(CHANGES_BACKOFF_MAX_MS * 2);
    expect(reads.slice(1).every((r) => r.after === "t0")).toBe(true);
    expect(heard).toEqual([{ changes: [change(1)], resync: false }]);
    expect(env.pending).toEqual([3000]);
  });

  it("is one poller however many listen, and stops with the last one", async () => {
    const env = new FakeEnvironment();
    const { read, reads } = server({ changes: [], next: "t0" }, { changes: [change(1)], next: "t1" }, "304");
    const feed = new ChangesFeed(read, env);
    const a = subscribe(feed);
    const b = subscribe(feed);
    await env.advance(3000);
    expect(reads).toHaveLength(2);
    expect(a.heard).toHaveLength(1);
    expect(b.heard).toHaveLength(1);
    a.stop();
    expect(feed.active).toBe(true);
    b.stop();
    expect(feed.active).toBe(false);
    await env.advance(30_000);
    expect(reads).toHaveLength(2);
  });

  it("says what a batch touched", () => {
    const batch = [change(1, "task"), change(2, "comment")];
    expect(touches(batch, "task")).toBe(true);
    expect(touches(batch, "task", "id1")).toBe(true);
    expect(touches(batch, "task", "id2")).toBe(false);
    expect(touches(batch, "member")).toBe(false);
  });
});
