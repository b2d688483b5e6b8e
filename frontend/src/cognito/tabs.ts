// The other tabs of this browser: a new tab takes the session of an open, signed-in one, and a
// sign-out in one tab ends it in all of them. Same-origin only (BroadcastChannel); nothing is
// written to disk for it. See docs/security.md, "Where the tokens live".

/** What a signed-in tab hands to a new one. */
export interface SharedSession {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  expiresAt: number;
  email: string;
}

export type PeerMessage =
  | { type: "ask"; id: string }
  | { type: "answer"; to: string; session: SharedSession }
  | { type: "signedIn"; session: SharedSession }
  | { type: "signedOut"; sub: string; everywhere: boolean };

export interface Peers {
  /** The session of an open, signed-in tab, or null when there is none (or none answers). */
  ask(): Promise<SharedSession | null>;
  send(message: PeerMessage): void;
  /** Messages from the other tabs (never one's own). */
  listen(handler: (message: PeerMessage) => void): void;
  /** While signed in, this tab holds the "signed in" lock that tells new tabs to ask. */
  holdSignedIn(held: boolean): void;
}

const CHANNEL = "teamtasks.session";
const LOCK = "teamtasks.signed-in";
/** How long a new tab waits for an answer when a signed-in tab exists (a busy or frozen one). */
const ANSWER_WAIT_MS = 1500;
/** Without the Web Locks API a tab cannot tell whether anyone could answer: a short wait. */
const BLIND_WAIT_MS = 250;

/** The browser's tabs through BroadcastChannel, with a Web Lock that signed-in tabs hold in
 * shared mode, so that a tab with no signed-in sibling knows at once and does not wait. */
export class BrowserPeers implements Peers {
  private readonly channel: BroadcastChannel | null;
  private handler: (message: PeerMessage) => void = () => {};
  private release: (() => void) | null = null;

  constructor() {
    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
    if (this.channel) this.channel.onmessage = (event: MessageEvent<PeerMessage>) => this.handler(event.data);
  }

  listen(handler: (message: PeerMessage) => void): void {
    this.handler = handler;
  }

  send(message: PeerMessage): void {
    this.channel?.postMessage(message);
  }

  private async anyoneSignedIn(): Promise<boolean | null> {
    if (!navigator.locks?.query) return null;
    try {
      const { held } = await navigator.locks.query();
      return Boolean(held?.some((lock) => lock.name === LOCK));
    } catch {
      return null;
    }
  }

  async ask(): Promise<SharedSession | null> {
    const channel = this.channel;
    if (!channel) return null;
    const someone = await this.anyoneSignedIn();
    if (someone === false) return null;
    const id = crypto.randomUUID();
    return new Promise((resolve) => {
      const listener = (event: MessageEvent<PeerMessage>) => {
        if (event.data.type === "answer" && event.data.to === id) done(event.data.session);
      };
      const timer = setTimeout(() => done(null), someone ? ANSWER_WAIT_MS : BLIND_WAIT_MS);
      function done(session: SharedSession | null) {
        clearTimeout(timer);
        channel!.removeEventListener("message", listener);
        resolve(session);
      }
      channel.addEventListener("message", listener);
      channel.postMessage({ type: "ask", id } satisfies PeerMessage);
    });
  }

  holdSignedIn(held: boolean): void {
    if (!navigator.locks?.request) return;
    if (held && !this.release) {
      const released = new Promise<void>((resolve) => (this.release = resolve));
      navigator.locks.request(LOCK, { mode: "shared" }, () => released).catch(() => {});
    } else if (!held && this.release) {
      this.release();
      this.release = null;
    }
  }
}
