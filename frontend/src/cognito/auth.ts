// The sign-in state: SRP sign-in with its MFA challenges, sign-up and confirmation, password
// reset, silent refresh, and sign-out of this browser or everywhere. Access and ID tokens live in
// memory only; the refresh token (and the email it belongs to) in sessionStorage, so a reload of
// the tab keeps the session; a new tab takes it from an open one over BroadcastChannel (tabs.ts),
// and closing the browser's last tab ends it. See docs/security.md.
import { CognitoClient, CognitoError } from "./client";
import { claimSignature, cognitoTimestamp, newEphemeral, passwordKey } from "./srp";
import type { PeerMessage, Peers, SharedSession } from "./tabs";

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  /** When the access token expires, in ms since the epoch. */
  expiresAt: number;
}

export interface User {
  sub: string;
  email: string;
}

export type AuthState =
  | { status: "unknown" }
  | { status: "signedOut"; reason?: string; ended?: SignOutScope }
  | { status: "signedIn"; user: User };

/** "browser": this browser's session (every tab of it); "everywhere": every device too. */
export type SignOutScope = "browser" | "everywhere";

export type SignInStep =
  | { step: "done" }
  | { step: "mfaCode" }
  | { step: "mfaSetup"; secret: string; otpauthUri: string }
  | { step: "newPassword" };

type AuthResult = {
  AuthenticationResult?: {
    AccessToken: string;
    IdToken: string;
    RefreshToken?: string;
    ExpiresIn: number;
  };
  ChallengeName?: string;
  ChallengeParameters?: Record<string, string>;
  Session?: string;
};

/** Refresh when the access token has less than this left. */
export const REFRESH_MARGIN_MS = 120_000;
const STORE_KEY = "teamtasks.session";
const APP_NAME = "Team tasks";

export function decodeJwt(token: string): Record<string, unknown> {
  const part = token.split(".")[1];
  if (!part) throw new Error("not a JWT");
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export class Auth {
  private tokens: Tokens | null = null;
  // The address the user signed in with: shown when the ID token carries no usable email claim
  // (a client without email in its ReadAttributes; the emulator, whose SRP path puts the
  // internal username there).
  private email = "";
  private state: AuthState = { status: "unknown" };
  private listeners = new Set<(state: AuthState) => void>();
  private refreshing: Promise<string> | null = null;
  // An unfinished sign-in: Cognito's session for the next challenge.
  private pending: { email: string; username: string; session: string; challenge: string } | null = null;

  constructor(
    private readonly cognito: CognitoClient,
    private readonly userPoolId: string,
    private readonly store: KeyValueStore,
    private readonly now: () => number = Date.now,
    private readonly peers: Peers | null = null,
  ) {
    peers?.listen((message) => this.fromPeer(message));
  }

  // -- the other tabs -------------------------------------------------------------------------

  private shared(): SharedSession | null {
    if (this.state.status !== "signedIn" || !this.tokens) return null;
    return { ...this.tokens, email: this.email };
  }

  private fromPeer(message: PeerMessage): void {
    const session = this.shared();
    if (message.type === "ask" && session) {
      this.peers!.send({ type: "answer", to: message.id, session });
    } else if (message.type === "signedIn" && this.state.status === "signedOut" && !this.pending) {
      // Signed in in another tab while this one showed the sign-in page.
      this.adopt(message.session);
    } else if (message.type === "signedOut" && this.state.status === "signedIn" && this.state.user.sub === message.sub) {
      const where = message.everywhere ? "on every device" : "in this browser";
      this.clear(`You signed out ${where} from another tab.`, message.everywhere ? "everywhere" : "browser");
    }
  }

  /** Takes over the session another tab handed over: the same tokens, kept as this tab's own. */
  private adopt(session: SharedSession): void {
    this.email = session.email;
    this.tokens = { accessToken: session.accessToken, idToken: session.idToken, refreshToken: session.refreshToken, expiresAt: session.expiresAt };
    this.store.setItem(STORE_KEY, JSON.stringify({ refreshToken: session.refreshToken, email: session.email }));
    const claims = decodeJwt(session.idToken);
    this.set({ status: "signedIn", user: { sub: String(claims.sub), email: this.email } });
  }

  // -- state ----------------------------------------------------------------------------------

  get current(): AuthState {
    return this.state;
  }

  subscribe(listener: (state: AuthState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(state: AuthState): void {
    this.state = state;
    // Signed-in tabs hold a lock that tells a new tab there is someone to ask.
    this.peers?.holdSignedIn(state.status === "signedIn");
    for (const listener of this.listeners) listener(state);
  }

  /** At start: resume the tab's session from its refresh token, if it has one. */
  async restore(): Promise<AuthState> {
    let refreshToken = "";
    try {
      const saved = JSON.parse(this.store.getItem(STORE_KEY) ?? "{}");
      refreshToken = String(saved.refreshToken ?? "");
      this.email = String(saved.email ?? "");
    } catch {
      refreshToken = "";
    }
    if (!refreshToken) {
      // A new tab: an open, signed-in tab of this browser hands its session over.
      const shared = await this.peers?.ask();
      if (shared && this.state.status !== "signedIn") this.adopt(shared);
      else if (!shared && this.state.status !== "signedIn") this.clear();
      return this.state;
    }
    this.tokens = { accessToken: "", idToken: "", refreshToken, expiresAt: 0 };
    try {
      await this.accessToken();
    } catch (error) {
      // A rejected refresh token has already signed us out; anything else (the network) says why.
      if (this.state.status !== "signedOut") {
        this.clear(`Your session could not be resumed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return this.state;
  }

  private accept(result: NonNullable<AuthResult["AuthenticationResult"]>, announce = false): void {
    const refreshToken = result.RefreshToken ?? this.tokens?.refreshToken ?? "";
    const claims = decodeJwt(result.IdToken);
    const access = decodeJwt(result.AccessToken);
    const exp = typeof access.exp === "number" ? access.exp * 1000 : this.now() + result.ExpiresIn * 1000;
    this.tokens = {
      accessToken: result.AccessToken,
      idToken: result.IdToken,
      refreshToken,
      expiresAt: Math.min(exp, this.now() + result.ExpiresIn * 1000),
    };
    const email = typeof claims.email === "string" && claims.email.includes("@") ? claims.email : this.email;
    this.email = email;
    this.store.setItem(STORE_KEY, JSON.stringify({ refreshToken, email }));
    this.pending = null;
    const user = { sub: String(claims.sub ?? access.sub), email };
    if (this.state.status !== "signedIn" || this.state.user.sub !== user.sub) {
      this.set({ status: "signedIn", user });
    }
    if (announce) this.peers?.send({ type: "signedIn", session: this.shared()! });
  }

  private clear(reason?: string, ended?: SignOutScope): void {
    this.tokens = null;
    this.email = "";
    this.pending = null;
    this.store.removeItem(STORE_KEY);
    this.set({ status: "signedOut", reason, ended });
  }

  // -- tokens ---------------------------------------------------------------------------------

  /** A valid access token, refreshed silently when it is about to expire. */
  async accessToken(options: { force?: boolean } = {}): Promise<string> {
    if (!this.tokens) throw new CognitoError("NotSignedIn", "You are not signed in.");
    if (!options.force && this.tokens.accessToken && this.tokens.expiresAt - this.now() > REFRESH_MARGIN_MS) {
      return this.tokens.accessToken;
    }
    if (!this.refreshing) {
      const refreshToken = this.tokens.refreshToken;
      this.refreshing = this.cognito
        .call<AuthResult>("InitiateAuth", {
          ClientId: this.cognito.clientId,
          AuthFlow: "REFRESH_TOKEN_AUTH",
          AuthParameters: { REFRESH_TOKEN: refreshToken },
        })
        .then((result) => {
          if (!result.AuthenticationResult) throw new CognitoError("NoTokens", "The sign-in service returned no tokens.");
          this.accept(result.AuthenticationResult);
          return this.tokens!.accessToken;
        })
        .catch((error) => {
          if (error instanceof CognitoError && error.code !== "NetworkError") {
            this.clear("Your session has ended. Please sign in again.");
          }
          throw error;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  /** The API said 401: the token was revoked or the clock is off. One forced refresh, or out. */
  async onUnauthorized(): Promise<string> {
    return this.accessToken({ force: true });
  }

  // -- sign-in --------------------------------------------------------------------------------

  async signIn(email: string, password: string): Promise<SignInStep> {
    this.email = email;
    const { a, A } = newEphemeral();
    const start = await this.cognito.call<AuthResult>("InitiateAuth", {
      ClientId: this.cognito.clientId,
      AuthFlow: "USER_SRP_AUTH",
      AuthParameters: { USERNAME: email, SRP_A: A.toString(16) },
    });
    if (start.ChallengeName !== "PASSWORD_VERIFIER" || !start.ChallengeParameters) {
      throw new CognitoError("UnexpectedChallenge", `Unexpected sign-in step: ${start.ChallengeName ?? "none"}.`);
    }
    const p = start.ChallengeParameters;
    const poolName = this.userPoolId.split("_")[1];
    const key = await passwordKey({
      poolName,
      userId: p.USER_ID_FOR_SRP,
      password,
      a,
      A,
      B: BigInt("0x" + p.SRP_B),
      salt: BigInt("0x" + p.SALT),
    });
    const timestamp = cognitoTimestamp(new Date(this.now()));
    const signature = await claimSignature({ key, poolName, userId: p.USER_ID_FOR_SRP, secretBlock: p.SECRET_BLOCK, timestamp });
    const result = await this.cognito.call<AuthResult>("RespondToAuthChallenge", {
      ClientId: this.cognito.clientId,
      ChallengeName: "PASSWORD_VERIFIER",
      Session: start.Session,
      ChallengeResponses: {
        USERNAME: p.USER_ID_FOR_SRP,
        PASSWORD_CLAIM_SECRET_BLOCK: p.SECRET_BLOCK,
        PASSWORD_CLAIM_SIGNATURE: signature,
        TIMESTAMP: timestamp,
      },
    });
    return this.next(email, p.USER_ID_FOR_SRP, result);
  }

  private async next(email: string, username: string, result: AuthResult): Promise<SignInStep> {
    if (result.AuthenticationResult) {
      this.accept(result.AuthenticationResult, true);
      return { step: "done" };
    }
    const challenge = result.ChallengeName ?? "";
    const challengeUser = result.ChallengeParameters?.USERNAME ?? result.ChallengeParameters?.USER_ID_FOR_SRP ?? username;
    this.pending = { email, username: challengeUser, session: result.Session ?? "", challenge };
    switch (challenge) {
      case "SOFTWARE_TOKEN_MFA":
        return { step: "mfaCode" };
      case "NEW_PASSWORD_REQUIRED":
        return { step: "newPassword" };
      case "MFA_SETUP": {
        const associated = await this.cognito.call<{ SecretCode: string; Session?: string }>("AssociateSoftwareToken", {
          Session: this.pending.session,
        });
        this.pending.session = associated.Session ?? this.pending.session;
        return { step: "mfaSetup", secret: associated.SecretCode, otpauthUri: otpauthUri(email, associated.SecretCode) };
      }
      default:
        this.pending = null;
        throw new CognitoError("UnsupportedChallenge", `This sign-in needs a step the app does not support (${challenge || "none"}).`);
    }
  }

  private requirePending(challenge: string) {
    if (!this.pending || this.pending.challenge !== challenge) {
      throw new CognitoError("NoPendingSignIn", "The sign-in has expired. Please start again.");
    }
    return this.pending;
  }

  /** The six-digit code from the authenticator app (SOFTWARE_TOKEN_MFA). */
  async answerMfa(code: string): Promise<SignInStep> {
    const pending = this.requirePending("SOFTWARE_TOKEN_MFA");
    const result = await this.cognito.call<AuthResult>("RespondToAuthChallenge", {
      ClientId: this.cognito.clientId,
      ChallengeName: "SOFTWARE_TOKEN_MFA",
      Session: pending.session,
      ChallengeResponses: { USERNAME: pending.username, SOFTWARE_TOKEN_MFA_CODE: code },
    });
    return this.next(pending.email, pending.username, result);
  }

  /** MFA_SETUP: verify the first code from the newly added authenticator, then finish. */
  async completeMfaSetup(code: string): Promise<SignInStep> {
    const pending = this.requirePending("MFA_SETUP");
    const verified = await this.cognito.call<{ Status: string; Session?: string }>("VerifySoftwareToken", {
      Session: pending.session,
      UserCode: code,
      FriendlyDeviceName: APP_NAME,
    });
    if (verified.Status !== "SUCCESS") throw new CognitoError("CodeMismatchException", "That code is not right. Check it and try again.");
    const result = await this.cognito.call<AuthResult>("RespondToAuthChallenge", {
      ClientId: this.cognito.clientId,
      ChallengeName: "MFA_SETUP",
      Session: verified.Session ?? pending.session,
      ChallengeResponses: { USERNAME: pending.username },
    });
    return this.next(pending.email, pending.username, result);
  }

  /** NEW_PASSWORD_REQUIRED (a user created by an administrator). */
  async setNewPassword(password: string): Promise<SignInStep> {
    const pending = this.requirePending("NEW_PASSWORD_REQUIRED");
    const result = await this.cognito.call<AuthResult>("RespondToAuthChallenge", {
      ClientId: this.cognito.clientId,
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      Session: pending.session,
      ChallengeResponses: { USERNAME: pending.username, NEW_PASSWORD: password },
    });
    return this.next(pending.email, pending.username, result);
  }

  // -- sign-up and recovery -------------------------------------------------------------------

  async signUp(email: string, password: string): Promise<{ confirmed: boolean; destination?: string }> {
    const result = await this.cognito.call<{ UserConfirmed: boolean; CodeDeliveryDetails?: { Destination?: string } }>("SignUp", {
      ClientId: this.cognito.clientId,
      Username: email,
      Password: password,
      UserAttributes: [{ Name: "email", Value: email }],
    });
    return { confirmed: result.UserConfirmed, destination: result.CodeDeliveryDetails?.Destination };
  }

  async confirmSignUp(email: string, code: string): Promise<void> {
    await this.cognito.call("ConfirmSignUp", { ClientId: this.cognito.clientId, Username: email, ConfirmationCode: code });
  }

  async resendCode(email: string): Promise<void> {
    await this.cognito.call("ResendConfirmationCode", { ClientId: this.cognito.clientId, Username: email });
  }

  async forgotPassword(email: string): Promise<void> {
    await this.cognito.call("ForgotPassword", { ClientId: this.cognito.clientId, Username: email });
  }

  async confirmForgotPassword(email: string, code: string, password: string): Promise<void> {
    await this.cognito.call("ConfirmForgotPassword", {
      ClientId: this.cognito.clientId,
      Username: email,
      ConfirmationCode: code,
      Password: password,
    });
  }

  // -- signed in ------------------------------------------------------------------------------

  /** Start adding an authenticator app to the signed-in account. */
  async beginTotpSetup(): Promise<{ secret: string; otpauthUri: string }> {
    const token = await this.accessToken();
    const result = await this.cognito.call<{ SecretCode: string }>("AssociateSoftwareToken", { AccessToken: token });
    const email = this.state.status === "signedIn" ? this.state.user.email : "";
    return { secret: result.SecretCode, otpauthUri: otpauthUri(email, result.SecretCode) };
  }

  /** Verify the authenticator's first code and make TOTP the account's second factor. */
  async finishTotpSetup(code: string): Promise<void> {
    const token = await this.accessToken();
    const verified = await this.cognito.call<{ Status: string }>("VerifySoftwareToken", {
      AccessToken: token,
      UserCode: code,
      FriendlyDeviceName: APP_NAME,
    });
    if (verified.Status !== "SUCCESS") throw new CognitoError("CodeMismatchException", "That code is not right. Check it and try again.");
    await this.cognito.call("SetUserMFAPreference", {
      AccessToken: token,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
  }

  /** Signs out of this browser (Cognito revokes this session's refresh token, which every tab of
   * the browser shares) or everywhere (GlobalSignOut: every session of the user, on every
   * device). Every tab of this browser signs out at once. The local session ends whatever Cognito
   * answers; a failure is reported to the caller. */
  async signOut(scope: SignOutScope = "browser"): Promise<void> {
    let failure: unknown = null;
    const sub = this.state.status === "signedIn" ? this.state.user.sub : "";
    try {
      if (this.tokens && scope === "everywhere") {
        const token = await this.accessToken();
        await this.cognito.call("GlobalSignOut", { AccessToken: token });
      } else if (this.tokens) {
        await this.cognito.call("RevokeToken", { Token: this.tokens.refreshToken, ClientId: this.cognito.clientId });
      }
    } catch (error) {
      failure = error;
    }
    this.clear(undefined, scope);
    if (sub) this.peers?.send({ type: "signedOut", sub, everywhere: scope === "everywhere" });
    if (failure && !(failure instanceof CognitoError && failure.code === "NotAuthorizedException")) {
      throw new CognitoError(
        "SignOutIncomplete",
        scope === "everywhere"
          ? "You are signed out in this browser, but the sign-in service could not be reached to end your sessions on other devices. Try again once you are online: sign in, then sign out everywhere."
          : "You are signed out in this browser, but the sign-in service could not be reached to end the session there too. It ends by itself within 30 days, or sign in and sign out everywhere.",
      );
    }
  }
}

export function otpauthUri(email: string, secret: string): string {
  return `otpauth://totp/${encodeURIComponent(`${APP_NAME}:${email}`)}?secret=${encodeURIComponent(secret)}&issuer=${encodeURIComponent(APP_NAME)}`;
}
