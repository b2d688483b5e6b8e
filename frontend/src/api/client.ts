// The service's HTTP API (docs: /api/docs; contract: API.md): bearer tokens, problem+json errors,
// ETag / If-Match on versioned resources and cursor pages.

export type Role = "owner" | "admin" | "member" | "viewer";
export type Status = "todo" | "in_progress" | "done";
export type Priority = "none" | "low" | "medium" | "high" | "urgent";
export type LabelColor = "gray" | "red" | "orange" | "yellow" | "green" | "teal" | "blue" | "purple" | "pink" | "brown";

/** A workspace's label (tasks hold their ids). */
export interface Label {
  id: string;
  name: string;
  color: LabelColor;
  version: number;
  created_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Me {
  id: string;
  username: string;
}

export interface Workspace {
  id: string;
  name: string;
  role: Role;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface Member {
  user_id: string;
  email: string;
  role: Role;
  added_at: string;
}

export interface Task {
  id: string;
  workspace_id: string;
  title: string;
  description: string;
  status: Status;
  due_date: string | null;
  assignee_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  created_by: string;
  /** How many comments the task has (read-only). */
  comment_count: number;
  priority: Priority;
  /** Label ids of the task's workspace, in the order given. */
  labels: string[];
}

export type TaskSort = "-created_at" | "due_date" | "-priority";

/** Sets are comma-separated (`status=todo,in_progress`); every filter given must hold. */
export interface TaskFilters {
  status?: string;
  priority?: string;
  label?: string;
  assignee_id?: string;
  q?: string;
  sort?: TaskSort | "";
}

export interface TaskInput {
  title: string;
  description: string;
  status: Status;
  due_date: string | null;
  assignee_id: string | null;
  priority: Priority;
  labels: string[];
}

export interface AuditEvent {
  id: string;
  at: string;
  actor_id: string;
  action: string;
  /** `label`: the target's name when the event was written (a title, an email, a name). */
  target: { type: "workspace" | "member" | "task" | "comment" | "invitation" | "label"; id: string; label?: string | null };
  changes: Record<string, unknown>;
}

export type EmailPreference = "immediate" | "daily" | "off";

/** A pending invitation, as the workspace's admins see it. */
export interface Invitation {
  id: string;
  workspace_id: string;
  email: string;
  role: Role;
  invited_by: string;
  invited_by_email: string;
  created_at: string;
  expires_at: string;
}

/** An invitation to the caller (GET /me/invitations): it names the workspace. */
export interface MyInvitation extends Invitation {
  workspace_name: string;
}

export interface TaskComment {
  id: string;
  task_id: string;
  author_id: string;
  body: string;
  /** The user ids of the members the comment mentions. */
  mentions: string[];
  version: number;
  created_at: string;
  updated_at: string;
}

export type NotificationType = "task.assigned" | "comment.created" | "comment.mentioned" | "invitation.received" | "member.role_changed";

/** One entry of the caller's inbox (named so as not to shadow the DOM's Notification). */
export interface InboxNotification {
  id: string;
  type: NotificationType;
  at: string;
  read: boolean;
  workspace_id: string;
  actor_id: string;
  target: { type: string; id: string; label?: string | null };
}

/** One entry of a workspace's changes feed: an audit action without its details. */
export interface Change {
  action: string;
  at: string;
  target: { type: string; id: string };
}

export interface ChangesPage {
  changes: Change[];
  /** Where the next read starts (`after`). */
  next: string;
}

/** An error response, as RFC 9457 describes it; `detail` is what the user is shown. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: Record<string, string[]> = {},
    readonly requestId: string | null = null,
  ) {
    super(detail);
    this.name = "ApiError";
  }

  /** 412: the resource changed since it was read. */
  get isConflict(): boolean {
    return this.status === 412;
  }

  /** 404: it is gone (deleted), or the caller can no longer see it. */
  get isGone(): boolean {
    return this.status === 404;
  }
}

/** How long a call may take before the user is told, and can try again. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** A representation and its strong ETag (the version the server has). */
export interface Versioned<T> {
  data: T;
  etag: string;
}

/** The ETag the server sends for a resource at this version. */
export function etagOf(resource: { version: number }): string {
  return `"${resource.version}"`;
}

export interface TokenSource {
  accessToken(): Promise<string>;
  /** After a 401: a fresh token, or a rejection that signs the user out. */
  onUnauthorized(): Promise<string>;
}

type Query = Record<string, string | number | null | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  ifMatch?: string;
  /** A conditional read: 304 (no body) while the resource still has this ETag. */
  ifNoneMatch?: string;
  /** Outlives the page (a delete sent as the tab closes). */
  keepalive?: boolean;
  /** Sent without a token (the unsubscribe link works signed out). */
  anonymous?: boolean;
}

async function problemFrom(response: Response): Promise<ApiError> {
  const requestId = response.headers.get("X-Request-Id");
  let body: Record<string, unknown> = {};
  try {
    const type = response.headers.get("Content-Type") ?? "";
    if (type.includes("json")) body = await response.json();
  } catch {
    body = {};
  }
  const title = typeof body.title === "string" ? body.title : response.statusText || `HTTP ${response.status}`;
  const detail = typeof body.detail === "string" && body.detail ? body.detail : title;
  // Field messages stay apart from the detail: the forms show each one on its field.
  const raw = body.errors && typeof body.errors === "object" ? (body.errors as Record<string, unknown>) : {};
  const errors = Object.fromEntries(Object.entries(raw).map(([field, messages]) => [field, [messages].flat().map(String)]));
  return new ApiError(response.status, title, detail, errors, requestId ?? (typeof body.request_id === "string" ? body.request_id : null));
}

export class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly tokens: TokenSource,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  private url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl.replace(/\/$/, "")}${path}${search ? `?${search}` : ""}`;
  }

  private async send(method: string, path: string, options: RequestOptions, token: string | null, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.ifMatch) headers["If-Match"] = options.ifMatch;
    if (options.ifNoneMatch) headers["If-None-Match"] = options.ifNoneMatch;
    return this.fetchImpl(this.url(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: "no-store",
      keepalive: options.keepalive,
      signal,
    });
  }

  /** One call; a 401 gets one retry with a refreshed token. A call that takes longer than the
   * timeout (a hung connection, a stalled body) is abandoned and reported. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<{ data: T; etag: string | null; status: number }> {
    const token = options.anonymous ? null : await this.tokens.accessToken();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      let response = await this.send(method, path, options, token, controller.signal);
      if (response.status === 401 && token !== null) {
        response = await this.send(method, path, options, await this.tokens.onUnauthorized(), controller.signal);
      }
      const etag = response.headers.get("ETag");
      if (response.status === 304) return { data: undefined as T, etag, status: 304 };
      if (!response.ok) throw await problemFrom(response);
      const data = response.status === 204 ? (undefined as T) : ((await response.json()) as T);
      return { data, etag, status: response.status };
    } catch (error) {
      if (error instanceof ApiError || !(error instanceof TypeError || controller.signal.aborted)) throw error;
      if (controller.signal.aborted) {
        throw new ApiError(0, "Timeout", `The service did not answer within ${Math.round(this.timeoutMs / 1000)} seconds. Try again.`);
      }
      throw new ApiError(0, "Network error", "The service could not be reached. Check your connection and try again.");
    } finally {
      clearTimeout(timer);
    }
  }

  private async versioned<T extends { version: number }>(method: string, path: string, options: RequestOptions = {}): Promise<Versioned<T>> {
    const { data, etag } = await this.request<T>(method, path, options);
    return { data, etag: etag ?? etagOf(data) };
  }

  private async ifChanged<T extends { version: number }>(path: string, etag: string): Promise<Versioned<T> | null> {
    const { data, etag: current, status } = await this.request<T>("GET", path, { ifNoneMatch: etag });
    return status === 304 ? null : { data, etag: current ?? etagOf(data) };
  }

  async page<T>(path: string, query: Query & { cursor?: string | null; limit?: number } = {}): Promise<Page<T>> {
    return (await this.request<Page<T>>("GET", path, { query })).data;
  }

  /** Every item of a list, page after page (for short lists such as members). */
  async all<T>(path: string, query: Query = {}, maxPages = 20): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < maxPages; n++) {
      const page: Page<T> = await this.page<T>(path, { ...query, limit: 100, cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) return items;
    }
    throw new ApiError(0, "Too many pages", `The list at ${path} is longer than ${maxPages * 100} items.`);
  }

  // -- resources ------------------------------------------------------------------------------

  me() {
    return this.request<Me>("GET", "/me").then((r) => r.data);
  }

  workspaces(cursor: string | null, limit = 25) {
    return this.page<Workspace>("/workspaces", { cursor, limit });
  }
  workspace(id: string) {
    return this.versioned<Workspace>("GET", `/workspaces/${enc(id)}`);
  }
  /** The workspace, or null while it is still the version `etag` names (a cheap refresh). */
  workspaceIfChanged(id: string, etag: string) {
    return this.ifChanged<Workspace>(`/workspaces/${enc(id)}`, etag);
  }
  createWorkspace(name: string) {
    return this.versioned<Workspace>("POST", "/workspaces", { body: { name } });
  }
  renameWorkspace(id: string, name: string, etag: string) {
    return this.versioned<Workspace>("PATCH", `/workspaces/${enc(id)}`, { body: { name }, ifMatch: etag });
  }
  async deleteWorkspace(id: string, etag: string) {
    await this.request<void>("DELETE", `/workspaces/${enc(id)}`, { ifMatch: etag });
  }

  members(workspaceId: string) {
    return this.all<Member>(`/workspaces/${enc(workspaceId)}/members`);
  }
  changeRole(workspaceId: string, userId: string, role: Role) {
    return this.request<Member>("PATCH", `/workspaces/${enc(workspaceId)}/members/${enc(userId)}`, { body: { role } }).then((r) => r.data);
  }
  async removeMember(workspaceId: string, userId: string) {
    await this.request<void>("DELETE", `/workspaces/${enc(workspaceId)}/members/${enc(userId)}`);
  }

  tasks(workspaceId: string, filters: TaskFilters, cursor: string | null, limit = 25) {
    return this.page<Task>(`/workspaces/${enc(workspaceId)}/tasks`, { ...filters, cursor, limit });
  }
  /** The tasks assigned to the caller in every workspace, earliest due first. A page may come
   * back empty with a cursor (docs/api.md: tasks of a workspace the caller left moments ago are
   * left out); it is followed, a few pages at most, so that "nothing assigned" means nothing. */
  async myTasks(filters: { status?: string }, cursor: string | null, limit = 25, follow = 5): Promise<Page<Task>> {
    let page = await this.page<Task>("/me/tasks", { ...filters, cursor, limit });
    for (let n = 0; n < follow && page.items.length === 0 && page.next_cursor; n++) {
      page = await this.page<Task>("/me/tasks", { ...filters, cursor: page.next_cursor, limit });
    }
    return page;
  }
  task(workspaceId: string, taskId: string) {
    return this.versioned<Task>("GET", `/workspaces/${enc(workspaceId)}/tasks/${enc(taskId)}`);
  }
  /** The task, or null while it is still the version `etag` names. */
  taskIfChanged(workspaceId: string, taskId: string, etag: string) {
    return this.ifChanged<Task>(`/workspaces/${enc(workspaceId)}/tasks/${enc(taskId)}`, etag);
  }
  createTask(workspaceId: string, input: TaskInput) {
    return this.versioned<Task>("POST", `/workspaces/${enc(workspaceId)}/tasks`, { body: input });
  }
  updateTask(workspaceId: string, taskId: string, changes: Partial<TaskInput>, etag: string) {
    return this.versioned<Task>("PATCH", `/workspaces/${enc(workspaceId)}/tasks/${enc(taskId)}`, { body: changes, ifMatch: etag });
  }
  async deleteTask(workspaceId: string, taskId: string, etag: string, options: { keepalive?: boolean } = {}) {
    await this.request<void>("DELETE", `/workspaces/${enc(workspaceId)}/tasks/${enc(taskId)}`, { ifMatch: etag, ...options });
  }

  /** The workspace's labels, by name. */
  labels(workspaceId: string) {
    return this.all<Label>(`/workspaces/${enc(workspaceId)}/labels`);
  }
  createLabel(workspaceId: string, name: string, color: LabelColor) {
    return this.versioned<Label>("POST", `/workspaces/${enc(workspaceId)}/labels`, { body: { name, color } });
  }

  audit(workspaceId: string, cursor: string | null, limit = 25) {
    return this.page<AuditEvent>(`/workspaces/${enc(workspaceId)}/audit`, { cursor, limit });
  }

  // -- invitations ----------------------------------------------------------------------------

  invite(workspaceId: string, email: string, role: Role) {
    return this.request<Invitation>("POST", `/workspaces/${enc(workspaceId)}/invitations`, { body: { email, role } }).then((r) => r.data);
  }
  /** The workspace's pending invitations, newest first (admin+). */
  invitations(workspaceId: string) {
    return this.all<Invitation>(`/workspaces/${enc(workspaceId)}/invitations`);
  }
  async revokeInvitation(workspaceId: string, invitationId: string) {
    await this.request<void>("DELETE", `/workspaces/${enc(workspaceId)}/invitations/${enc(invitationId)}`);
  }
  /** Invitations to the caller's (verified) email. */
  myInvitations() {
    return this.all<MyInvitation>("/me/invitations");
  }
  /** Joins the workspace: the caller's membership. */
  acceptInvitation(invitationId: string) {
    return this.request<Member>("POST", `/me/invitations/${enc(invitationId)}/accept`).then((r) => r.data);
  }
  async declineInvitation(invitationId: string) {
    await this.request<void>("POST", `/me/invitations/${enc(invitationId)}/decline`);
  }

  // -- comments -------------------------------------------------------------------------------

  /** A task's comments, oldest first. */
  comments(workspaceId: string, taskId: string) {
    return this.all<TaskComment>(`${taskPath(workspaceId, taskId)}/comments`);
  }
  addComment(workspaceId: string, taskId: string, body: string, mentions: string[]) {
    return this.versioned<TaskComment>("POST", `${taskPath(workspaceId, taskId)}/comments`, { body: { body, mentions } });
  }
  editComment(workspaceId: string, taskId: string, commentId: string, body: string, mentions: string[], etag: string) {
    return this.versioned<TaskComment>("PATCH", `${taskPath(workspaceId, taskId)}/comments/${enc(commentId)}`, { body: { body, mentions }, ifMatch: etag });
  }
  async deleteComment(workspaceId: string, taskId: string, commentId: string, etag: string) {
    await this.request<void>("DELETE", `${taskPath(workspaceId, taskId)}/comments/${enc(commentId)}`, { ifMatch: etag });
  }

  // -- notifications and preferences ----------------------------------------------------------

  notifications(filters: { unread?: boolean }, cursor: string | null, limit = 25) {
    return this.page<InboxNotification>("/me/notifications", { unread: filters.unread ? "true" : null, cursor, limit });
  }
  notificationSummary() {
    return this.request<{ unread: number }>("GET", "/me/notifications/summary").then((r) => r.data);
  }
  /** Marks that notification and every older one read. */
  async markNotificationsRead(upTo: string) {
    await this.request<void>("POST", "/me/notifications/read", { body: { up_to: upTo } });
  }
  preferences() {
    return this.request<{ email_notifications: EmailPreference }>("GET", "/me/preferences").then((r) => r.data);
  }
  setPreferences(emailNotifications: EmailPreference) {
    return this.request<{ email_notifications: EmailPreference }>("PUT", "/me/preferences", { body: { email_notifications: emailNotifications } }).then((r) => r.data);
  }
  /** The link in a notification email: works without signing in. */
  unsubscribe(token: string) {
    return this.request<{ email_notifications: EmailPreference }>("POST", "/unsubscribe", { body: { token }, anonymous: true }).then((r) => r.data);
  }

  // -- the changes feed -----------------------------------------------------------------------

  /** The workspace's changes after `after` (none, and where to start, without it); null while
   * nothing changed since the read that gave `etag` (a 304). */
  async changes(workspaceId: string, after: string | null, etag: string | null): Promise<{ page: ChangesPage | null; etag: string | null }> {
    const { data, etag: current, status } = await this.request<ChangesPage>("GET", `/workspaces/${enc(workspaceId)}/changes`, {
      query: { after },
      ifNoneMatch: etag ?? undefined,
    });
    return { page: status === 304 ? null : data, etag: current ?? etag };
  }
}

const taskPath = (workspaceId: string, taskId: string) => `/workspaces/${enc(workspaceId)}/tasks/${enc(taskId)}`;

const enc = encodeURIComponent;
