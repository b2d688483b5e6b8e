// Test doubles: a scripted fetch that records every call, JWTs, an in-memory store.

export interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

type Reply = { status?: number; body?: unknown; headers?: Record<string, string>; text?: string } | Error;
type Handler = (call: Call) => Reply;

export class FakeFetch {
  calls: Call[] = [];
  private handlers: Handler[] = [];

  /** Replies are used in order; a handler function can inspect the call. */
  reply(...replies: (Reply | Handler)[]): this {
    for (const reply of replies) this.handlers.push(typeof reply === "function" ? reply : () => reply);
    return this;
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const call: Call = {
      url: String(input),
      method: init.method ?? "GET",
      headers,
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    };
    this.calls.push(call);
    const handler = this.handlers.shift();
    if (!handler) throw new Error(`unexpected call ${call.method} ${call.url}`);
    const reply = handler(call);
    if (reply instanceof Error) throw reply;
    const status = reply.status ?? 200;
    const body = reply.text ?? (reply.body === undefined ? null : JSON.stringify(reply.body));
    return new Response(status === 204 ? null : body, {
      status,
      headers: { "Content-Type": "application/json", ...(reply.headers ?? {}) },
    });
  };

  /** Cognito operations called, in order. */
  get operations(): string[] {
    return this.calls.map((c) => c.headers["X-Amz-Target"]?.split(".")[1] ?? `${c.method} ${c.url}`);
  }
}

function base64url(value: string): string {
  return Buffer.from(value, "utf8").toString("base64url");
}

export function jwt(claims: Record<string, unknown>): string {
  return `${base64url(JSON.stringify({ alg: "RS256", kid: "k" }))}.${base64url(JSON.stringify(claims))}.c2ln`;
}

export class MemoryStore {
  items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}
