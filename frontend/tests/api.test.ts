import { describe, expect, it, vi } from "vitest";
import { Api, ApiError, etagOf, type Task } from "../src/api/client";
import { FakeFetch } from "./fakes";

function setup(tokens = { accessToken: vi.fn(async () => "token-1"), onUnauthorized: vi.fn(async () => "token-2") }) {
  const fake = new FakeFetch();
  const api = new Api("/api/v1", tokens, fake.fetch);
  return { fake, api, tokens };
}

const problem = (status: number, detail: string, extra: Record<string, unknown> = {}) => ({
  status,
  headers: { "Content-Type": "application/problem+json", "X-Request-Id": "req-42" },
  body: { type: "about:blank", title: "Title " + status, status, detail, request_id: "req-42", ...extra },
});

const task: Task = {
  id: "t1",
  workspace_id: "w1",
  title: "Write docs",
  description: "",
  status: "todo",
  due_date: null,
  assignee_id: null,
  version: 3,
  created_at: "2026-11-26T08:00:00.000Z",
  updated_at: "2026-11-26T08:00:00.000Z",
  created_by: "u1",
  comment_count: 0,
  priority: "none",
  labels: [],
};

describe("problem+json errors", () => {
  it("carries the status, title, detail and request id", async () => {
    const { fake, api } = setup();
    fake.reply(problem(404, "Workspace not found"));
    const error = await api.workspace("w1").catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, title: "Title 404", detail: "Workspace not found", requestId: "req-42" });
    expect(error.message).toBe("Workspace not found");
  });

  it("names every offending field of a 422", async () => {
    const { fake, api } = setup();
    fake.reply(problem(422, "The request is invalid", { errors: { title: ["Too long."], due_date: ["Not a date."] } }));
    const error: ApiError = await api.createTask("w1", { ...task }).catch((e) => e);
    expect(error.status).toBe(422);
    expect(error.errors).toEqual({ title: ["Too long."], due_date: ["Not a date."] });
    // The forms show each message on its field; the detail stays the API's.
    expect(error.detail).toBe("The request is invalid");
  });

  it("falls back to the status text when the body is not JSON", async () => {
    const { fake, api } = setup();
    fake.reply({ status: 502, text: "<html>Bad gateway</html>", headers: { "Content-Type": "text/html" } });
    const error: ApiError = await api.me().catch((e) => e);
    expect(error.status).toBe(502);
    expect(error.detail).toMatch(/502|Bad Gateway/);
  });

  it("turns a network failure into an error the user can read", async () => {
    const { fake, api } = setup();
    fake.reply(new TypeError("Failed to fetch"));
    const error: ApiError = await api.me().catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.detail).toMatch(/could not be reached/);
  });
});

describe("ETags", () => {
  it("returns the ETag of a read and sends it back as If-Match", async () => {
    const { fake, api } = setup();
    fake.reply(
      { headers: { ETag: '"3"' }, body: task },
      { headers: { ETag: '"4"' }, body: { ...task, status: "done", version: 4 } },
    );
    const read = await api.task("w1", "t1");
    expect(read.etag).toBe('"3"');
    const saved = await api.updateTask("w1", "t1", { status: "done" }, read.etag);
    expect(saved).toEqual({ data: { ...task, status: "done", version: 4 }, etag: '"4"' });
    expect(fake.calls[1]).toMatchObject({
      method: "PATCH",
      url: "/api/v1/workspaces/w1/tasks/t1",
      headers: { "If-Match": '"3"', "Content-Type": "application/json", Authorization: "Bearer token-1" },
      body: { status: "done" },
    });
  });

  it("derives the ETag from the version when the header is missing", async () => {
    const { fake, api } = setup();
    fake.reply({ body: task });
    expect((await api.task("w1", "t1")).etag).toBe('"3"');
    expect(etagOf({ version: 12 })).toBe('"12"');
  });

  it("reports 412 as a conflict", async () => {
    const { fake, api } = setup();
    fake.reply(problem(412, "The task has changed since you read it"));
    const error: ApiError = await api.updateTask("w1", "t1", { title: "x" }, '"1"').catch((e) => e);
    expect(error.isConflict).toBe(true);
    expect(error.detail).toBe("The task has changed since you read it");
  });

  it("sends If-Match on deletes and resolves on 204", async () => {
    const { fake, api } = setup();
    fake.reply({ status: 204 });
    await expect(api.deleteWorkspace("w 1", '"7"')).resolves.toBeUndefined();
    expect(fake.calls[0]).toMatchObject({ method: "DELETE", url: "/api/v1/workspaces/w%201", headers: { "If-Match": '"7"' } });
    expect(fake.calls[0].headers["Content-Type"]).toBeUndefined();
  });
});

describe("paging", () => {
  it("sends the filters, limit and cursor, and leaves out empty ones", async () => {
    const { fake, api } = setup();
    fake.reply({ body: { items: [task], next_cursor: "c2" } }, { body: { items: [], next_cursor: null } });
    const page = await api.tasks("w1", { status: "todo", assignee_id: "" }, null, 10);
    expect(page).toEqual({ items: [task], next_cursor: "c2" });
    expect(fake.calls[0].url).toBe("/api/v1/workspaces/w1/tasks?status=todo&limit=10");
    await api.tasks("w1", { status: "", assignee_id: "u 1" }, "c2");
    expect(fake.calls[1].url).toBe("/api/v1/workspaces/w1/tasks?assignee_id=u+1&cursor=c2&limit=25");
  });

  it("follows next_cursor until it is null", async () => {
    const { fake, api } = setup();
    const member = (n: number) => ({ user_id: `u${n}`, email: `u${n}@example.com`, role: "member", added_at: "" });
    fake.reply(
      { body: { items: [member(1), member(2)], next_cursor: "a" } },
      { body: { items: [member(3)], next_cursor: "b" } },
      { body: { items: [], next_cursor: null } },
    );
    const members = await api.members("w1");
    expect(members.map((m) => m.user_id)).toEqual(["u1", "u2", "u3"]);
    expect(fake.calls.map((c) => c.url)).toEqual([
      "/api/v1/workspaces/w1/members?limit=100",
      "/api/v1/workspaces/w1/members?limit=100&cursor=a",
      "/api/v1/workspaces/w1/members?limit=100&cursor=b",
    ]);
  });
});

describe("tokens", () => {
  it("retries a 401 once with a refreshed token", async () => {
    const { fake, api, tokens } = setup();
    fake.reply({ status: 401, body: {} }, { body: { id: "u1", username: "u1" } });
    expect(await api.me()).toEqual({ id: "u1", username: "u1" });
    expect(tokens.onUnauthorized).toHaveBeenCalledTimes(1);
    expect(fake.calls.map((c) => c.headers.Authorization)).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("gives up after the second 401", async () => {
    const { fake, api } = setup();
    fake.reply(problem(401, "Invalid token"), problem(401, "Invalid token"));
    await expect(api.me()).rejects.toMatchObject({ status: 401, detail: "Invalid token" });
    expect(fake.calls).toHaveLength(2);
  });

  it("does not call the API when there is no token", async () => {
    const tokens = { accessToken: vi.fn(async () => Promise.reject(new Error("You are not signed in."))), onUnauthorized: vi.fn() };
    const { fake, api } = setup(tokens as never);
    await expect(api.me()).rejects.toThrow("You are not signed in.");
    expect(fake.calls).toHaveLength(0);
  });
});

describe("timeouts", () => {
  it("abandons a call that hangs and says so, instead of loading forever", async () => {
    vi.useFakeTimers();
    try {
      const hanging = vi.fn(
        (_url: RequestInfo | URL, init?: RequestInit) =>
          new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))),
      );
      const api = new Api("/api/v1", { accessToken: async () => "t", onUnauthorized: async () => "t" }, hanging as typeof fetch, 15_000);
      const call = api.me().catch((e) => e);
      await vi.advanceTimersByTimeAsync(14_999);
      expect(hanging).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(1);
      const error = await call;
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 0, title: "Timeout" });
      expect(error.detail).toMatch(/did not answer within 15 seconds/);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("conditional reads", () => {
  it("sends If-None-Match and returns null on 304 (the version on screen is current)", async () => {
    const { fake, api } = setup();
    fake.reply({ status: 304, headers: { ETag: '"3"' } }, { headers: { ETag: '"4"' }, body: { ...task, version: 4 } });
    expect(await api.taskIfChanged("w1", "t1", '"3"')).toBeNull();
    expect(fake.calls[0].headers["If-None-Match"]).toBe('"3"');
    expect(await api.taskIfChanged("w1", "t1", '"3"')).toEqual({ data: { ...task, version: 4 }, etag: '"4"' });
  });

  it("follows my tasks past a page that came back empty with a cursor", async () => {
    const { fake, api } = setup();
    fake.reply(
      { body: { items: [], next_cursor: "c1" } },
      { body: { items: [], next_cursor: "c2" } },
      { body: { items: [task], next_cursor: "c3" } },
    );
    expect(await api.myTasks({}, null, 1)).toEqual({ items: [task], next_cursor: "c3" });
    expect(fake.calls.map((c) => c.url)).toEqual([
      "/api/v1/me/tasks?limit=1",
      "/api/v1/me/tasks?cursor=c1&limit=1",
      "/api/v1/me/tasks?cursor=c2&limit=1",
    ]);
  });

  it("lists my tasks and sorts a workspace's tasks by due date", async () => {
    const { fake, api } = setup();
    fake.reply({ body: { items: [], next_cursor: null } }, { body: { items: [], next_cursor: null } });
    await api.myTasks({ status: "todo" }, null);
    await api.tasks("w1", { sort: "due_date" }, null);
    expect(fake.calls.map((c) => c.url)).toEqual(["/api/v1/me/tasks?status=todo&limit=25", "/api/v1/workspaces/w1/tasks?sort=due_date&limit=25"]);
  });
});

describe("collaboration", () => {
  it("invites by email, lists and revokes invitations, and answers one's own", async () => {
    const { fake, api } = setup();
    const invitation = { id: "i1", workspace_id: "w1", email: "new@example.com", role: "member", invited_by: "u1", created_at: "", expires_at: "" };
    fake.reply(
      { status: 201, body: invitation },
      { body: { items: [invitation], next_cursor: null } },
      { status: 204 },
      { body: { items: [{ ...invitation, workspace_name: "Launch" }], next_cursor: null } },
      { status: 201, body: { user_id: "u2", email: "new@example.com", role: "member", added_at: "" } },
      { status: 204 },
    );
    expect(await api.invite("w1", "new@example.com", "member")).toEqual(invitation);
    expect(await api.invitations("w1")).toEqual([invitation]);
    await api.revokeInvitation("w1", "i1");
    expect((await api.myInvitations())[0].workspace_name).toBe("Launch");
    expect((await api.acceptInvitation("i1")).role).toBe("member");
    await api.declineInvitation("i 2");
    expect(fake.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST /api/v1/workspaces/w1/invitations",
      "GET /api/v1/workspaces/w1/invitations?limit=100",
      "DELETE /api/v1/workspaces/w1/invitations/i1",
      "GET /api/v1/me/invitations?limit=100",
      "POST /api/v1/me/invitations/i1/accept",
      "POST /api/v1/me/invitations/i%202/decline",
    ]);
    expect(fake.calls[0].body).toEqual({ email: "new@example.com", role: "member" });
  });

  it("writes, edits and deletes comments with the ETags the contract asks for", async () => {
    const { fake, api } = setup();
    const comment = { id: "c1", task_id: "t1", author_id: "u1", body: "Hi @b@example.com", mentions: ["u2"], version: 1, created_at: "", updated_at: "" };
    fake.reply(
      { status: 201, headers: { ETag: '"1"' }, body: comment },
      { headers: { ETag: '"2"' }, body: { ...comment, body: "Edited", mentions: [], version: 2 } },
      { status: 204 },
    );
    expect((await api.addComment("w1", "t1", comment.body, ["u2"])).etag).toBe('"1"');
    expect((await api.editComment("w1", "t1", "c1", "Edited", [], '"1"')).data.version).toBe(2);
    await api.deleteComment("w1", "t1", "c1", '"2"');
    expect(fake.calls.map((c) => [c.method, c.url, c.headers["If-Match"], c.body])).toEqual([
      ["POST", "/api/v1/workspaces/w1/tasks/t1/comments", undefined, { body: "Hi @b@example.com", mentions: ["u2"] }],
      ["PATCH", "/api/v1/workspaces/w1/tasks/t1/comments/c1", '"1"', { body: "Edited", mentions: [] }],
      ["DELETE", "/api/v1/workspaces/w1/tasks/t1/comments/c1", '"2"', undefined],
    ]);
  });

  it("reads notifications, their summary and preferences, and marks them read", async () => {
    const { fake, api } = setup();
    fake.reply(
      { body: { items: [], next_cursor: null } },
      { body: { unread: 3 } },
      { status: 204 },
      { body: { email_notifications: "immediate" } },
      { body: { email_notifications: "daily" } },
    );
    await api.notifications({ unread: true }, null);
    expect(await api.notificationSummary()).toEqual({ unread: 3 });
    await api.markNotificationsRead("n9");
    expect(await api.preferences()).toEqual({ email_notifications: "immediate" });
    expect(await api.setPreferences("daily")).toEqual({ email_notifications: "daily" });
    expect(fake.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "GET /api/v1/me/notifications?unread=true&limit=25",
      "GET /api/v1/me/notifications/summary",
      "POST /api/v1/me/notifications/read",
      "GET /api/v1/me/preferences",
      "PUT /api/v1/me/preferences",
    ]);
    expect(fake.calls[2].body).toEqual({ up_to: "n9" });
    expect(fake.calls[4].body).toEqual({ email_notifications: "daily" });
  });

  it("unsubscribes without a token of the user's own, and reports a bad link as the API does", async () => {
    const tokens = { accessToken: vi.fn(async () => Promise.reject(new Error("You are not signed in."))), onUnauthorized: vi.fn() };
    const { fake, api } = setup(tokens as never);
    fake.reply({ body: { email_notifications: "off" } }, problem(400, "The unsubscribe link is not valid"));
    expect(await api.unsubscribe("tok")).toEqual({ email_notifications: "off" });
    expect(fake.calls[0]).toMatchObject({ method: "POST", url: "/api/v1/unsubscribe", body: { token: "tok" } });
    expect(fake.calls[0].headers.Authorization).toBeUndefined();
    await expect(api.unsubscribe("bad")).rejects.toMatchObject({ status: 400 });
    expect(tokens.accessToken).not.toHaveBeenCalled();
  });

  it("reads the changes feed conditionally: a 304 means nothing new", async () => {
    const { fake, api } = setup();
    fake.reply({ headers: { ETag: '"e1"' }, body: { changes: [], next: "t1" } }, { status: 304, headers: { ETag: '"e1"' } });
    expect(await api.changes("w1", null, null)).toEqual({ page: { changes: [], next: "t1" }, etag: '"e1"' });
    expect(await api.changes("w1", "t1", '"e1"')).toEqual({ page: null, etag: '"e1"' });
    expect(fake.calls.map((c) => [c.url, c.headers["If-None-Match"]])).toEqual([
      ["/api/v1/workspaces/w1/changes", undefined],
      ["/api/v1/workspaces/w1/changes?after=t1", '"e1"'],
    ]);
  });
});
