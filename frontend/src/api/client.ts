// The service's HTTP API (docs: /api/docs; contract: API.md): bearer tokens, problem+json errors,
// ETag / If-Match on versioned resources and cursor pages.

export type Role = "owner" | "admin" | "member" | "viewer";
export type Status = "todo" | "in_progress" | "done";

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
}

export type TaskSort = "-created_at" | "due_date";

export interface TaskFilters {
  status?: Status | "";
  assignee_id?: string;
  sort?: TaskSort | "";
}

export interface TaskInput {
  title: string;
  description: string;
  status: Status;
  due_date: string | null;
  assignee_id: string | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor_id: string;
  action: string;
  /** `label`: the target's name when the event was written (a title, an email, a name). */
  target: { type: "workspace" | "member" | "task"; id: string; label?: string | null };
  changes: Record<string, unknown>;
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

  private async send(method: string, path: string, options: RequestOptions, token: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", Authorization: `Bearer ${token}` };
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
    const token = await this.tokens.accessToken();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      let response = await this.send(method, path, options, token, controller.signal);
      if (response.status === 401) {
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
  addMember(workspaceId: string, email: string, role: Role) {
    return this.request<Member>("POST", `/workspaces/${enc(workspaceId)}/members`, { body: { email, role } }).then((r) => r.data);
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
  async myTasks(filters: { status?: Status | "" }, cursor: string | null, limit = 25, follow = 5): Promise<Page<Task>> {
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

  audit(workspaceId: string, cursor: string | null, limit = 25) {
    return this.page<AuditEvent>(`/workspaces/${enc(workspaceId)}/audit`, { cursor, limit });
  }
}

const enc = encodeURIComponent;
