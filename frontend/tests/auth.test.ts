import { describe, expect, it } from "vitest";
import { Auth, REFRESH_MARGIN_MS, type AuthState } from "../src/cognito/auth";
import { CognitoClient, CognitoError, cognitoUrl } from "../src/cognito/client";
import type { PeerMessage, Peers, SharedSession } from "../src/cognito/tabs";
import { FakeFetch, MemoryStore, jwt } from "./fakes";

const POOL = "us-east-1_AbC123";
const T0 = Date.parse("2026-11-26T09:00:00Z");

function tokens(n: number, { email = "ann@example.com", refresh = true, at = T0 } = {}) {
  return {
    AuthenticationResult: {
      AccessToken: jwt({ sub: "sub-ann", token_use: "access", exp: at / 1000 + 3600, n }),
      IdToken: jwt({ sub: "sub-ann", token_use: "id", ...(email ? { email } : {}) }),
      ...(refresh ? { RefreshToken: `refresh-${n}` } : {}),
      ExpiresIn: 3600,
      TokenType: "Bearer",
    },
  };
}

const verifier = {
  ChallengeName: "PASSWORD_VERIFIER",
  Session: "s1",
  ChallengeParameters: {
    SALT: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    SRP_B: "f".repeat(64),
    USERNAME: "ann-internal",
    USER_ID_FOR_SRP: "ann-internal",
    SECRET_BLOCK: Buffer.from("secret block").toString("base64"),
  },
};

function setup(endpoint: string | null = "http://127.0.0.1:4566") {
  const fake = new FakeFetch();
  const store = new MemoryStore();
  let now = T0;
  const auth = new Auth(new CognitoClient("us-east-1", endpoint, "client-1", fake.fetch), POOL, store, () => now);
  const states: AuthState[] = [];
  auth.subscribe((s) => states.push(s));
  return { fake, store, auth, states, advance: (ms: number) => (now += ms) };
}

describe("the Cognito endpoint", () => {
  it("is the emulator when configured, else the region's", () => {
    expect(cognitoUrl("eu-west-1", null)).toBe("https://cognito-idp.eu-west-1.amazonaws.com/");
    expect(cognitoUrl("eu-west-1", "http://127.0.0.1:4566")).toBe("http://127.0.0.1:4566/");
  });

  it("sends JSON with the operation in X-Amz-Target", async () => {
    const { fake, auth } = setup(null);
    fake.reply({ body: {} });
    await auth.forgotPassword("ann@example.com");
    expect(fake.calls[0]).toMatchObject({
      url: "https://cognito-idp.us-east-1.amazonaws.com/",
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.ForgotPassword" },
      body: { ClientId: "client-1", Username: "ann@example.com" },
    });
  });

  it("maps Cognito's error types to messages, without revealing whether a user exists", async () => {
    const { fake, auth } = setup();
    fake.reply({ status: 400, body: { __type: "com.amazonaws.cognito#UserNotFoundException", message: "User does not exist." } });
    const error = await auth.signIn("nobody@example.com", "x").catch((e) => e);
    expect(error).toBeInstanceOf(CognitoError);
    expect(error).toMatchObject({ code: "UserNotFoundException", message: "Incorrect email or password." });
  });

  it("words every refusal itself: never Cognito's text, which differs by service and says too much", async () => {
    const { fake, auth } = setup();
    fake.reply(
      { status: 400, body: { __type: "InvalidPasswordException", message: "The provided password does not confirm to the configured password policy" } },
      { status: 400, body: { __type: "InvalidPasswordException", message: "Password did not conform with policy: Password must have symbol characters" } },
      { status: 500, text: "<html>" },
      { status: 400, body: { __type: "SomethingNewException", message: "internal detail" } },
    );
    const policy = "This password does not follow the rules for passwords. Check the list under the password.";
    await expect(auth.signUp("a@example.com", "weak")).rejects.toThrow(policy);
    await expect(auth.signUp("a@example.com", "weakpassword1")).rejects.toThrow(policy);
    await expect(auth.signUp("a@example.com", "weak")).rejects.toThrow("The sign-in service had a problem. Try again in a moment.");
    const unknown = await auth.signUp("a@example.com", "weak").catch((e) => e);
    expect(unknown).toMatchObject({ code: "SomethingNewException" });
    expect(unknown.message).not.toContain("internal detail");
  });

  it("words a code by the operation where it means something else", async () => {
    const { fake, auth } = setup();
    fake.reply({ status: 400, body: { __type: "NotAuthorizedException", message: "User cannot be confirmed. Current status is CONFIRMED" } });
    await expect(auth.confirmSignUp("a@example.com", "123456")).rejects.toThrow("This account is already confirmed. Sign in.");
  });
});

describe("sign-in", () => {
  it("uses SRP: the password is never sent, the proof answers the challenge", async () => {
    const { fake, auth, store, states } = setup();
    fake.reply({ body: verifier }, { body: tokens(1) });
    expect(await auth.signIn("ann@example.com", "Secret-Passw0rd!")).toEqual({ step: "done" });

    const [start, answer] = fake.calls as { body: Record<string, Record<string, string> | string> }[];
    expect(start.body).toMatchObject({ AuthFlow: "USER_SRP_AUTH", ClientId: "client-1" });
    expect((start.body.AuthParameters as Record<string, string>).SRP_A).toMatch(/^[0-9a-f]{500,}$/);
    expect(answer.body).toMatchObject({ ChallengeName: "PASSWORD_VERIFIER", Session: "s1" });
    const responses = answer.body.ChallengeResponses as Record<string, string>;
    expect(responses.USERNAME).toBe("ann-internal");
    expect(responses.PASSWORD_CLAIM_SECRET_BLOCK).toBe(verifier.ChallengeParameters.SECRET_BLOCK);
    expect(responses.TIMESTAMP).toBe("Thu Nov 26 09:00:00 UTC 2026");
    expect(Buffer.from(responses.PASSWORD_CLAIM_SIGNATURE, "base64")).toHaveLength(32);
    expect(JSON.stringify(fake.calls)).not.toContain("Secret-Passw0rd!");

    expect(states.at(-1)).toEqual({ status: "signedIn", user: { sub: "sub-ann", email: "ann@example.com" } });
    expect(await auth.accessToken()).toBe(tokens(1).AuthenticationResult.AccessToken);
    // Only the refresh token is kept in the tab's storage; access and ID tokens stay in memory.
    expect([...store.items.values()].join()).toContain("refresh-1");
    expect([...store.items.values()].join()).not.toContain(tokens(1).AuthenticationResult.AccessToken);
  });

  it.each(["", "0f0e4a2c-77b1-4c0e-9d7a-000000000001"])("falls back to the typed email when the ID token's is %j", async (claim) => {
    const { fake, auth } = setup();
    fake.reply({ body: verifier }, { body: tokens(1, { email: claim }) });
    await auth.signIn("ann@example.com", "pw");
    expect(auth.current).toMatchObject({ user: { email: "ann@example.com" } });
  });

  it("asks for the TOTP code when the account has MFA", async () => {
    const { fake, auth } = setup();
    fake.reply({ body: verifier }, { body: { ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "s2", ChallengeParameters: {} } }, { body: tokens(1) });
    expect(await auth.signIn("ann@example.com", "pw")).toEqual({ step: "mfaCode" });
    expect(auth.current.status).not.toBe("signedIn");
    expect(await auth.answerMfa("123456")).toEqual({ step: "done" });
    expect(fake.calls[2].body).toMatchObject({
      ChallengeName: "SOFTWARE_TOKEN_MFA",
      Session: "s2",
      ChallengeResponses: { USERNAME: "ann-internal", SOFTWARE_TOKEN_MFA_CODE: "123456" },
    });
    expect(auth.current.status).toBe("signedIn");
  });

  it("sets up TOTP when the pool requires MFA (MFA_SETUP)", async () => {
    const { fake, auth } = setup();
    fake.reply(
      { body: verifier },
      { body: { ChallengeName: "MFA_SETUP", Session: "s2", ChallengeParameters: { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]' } } },
      { body: { SecretCode: "JBSWY3DPEHPK3PXP", Session: "s3" } },
      { body: { Status: "SUCCESS", Session: "s4" } },
      { body: tokens(1) },
    );
    const step = await auth.signIn("ann@example.com", "pw");
    expect(step).toEqual({
      step: "mfaSetup",
      secret: "JBSWY3DPEHPK3PXP",
      otpauthUri: "otpauth://totp/Team%20tasks%3Aann%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Team%20tasks",
    });
    expect(fake.calls[2].body).toEqual({ Session: "s2" });
    expect(await auth.completeMfaSetup("654321")).toEqual({ step: "done" });
    expect(fake.operations.slice(3)).toEqual(["VerifySoftwareToken", "RespondToAuthChallenge"]);
    expect(fake.calls[3].body).toMatchObject({ Session: "s3", UserCode: "654321" });
    expect(fake.calls[4].body).toMatchObject({ ChallengeName: "MFA_SETUP", Session: "s4" });
  });

  it("refuses an MFA answer with no sign-in under way", async () => {
    const { auth } = setup();
    await expect(auth.answerMfa("123456")).rejects.toMatchObject({ code: "NoPendingSignIn" });
  });
});

describe("tokens over time", () => {
  async function signedIn() {
    const context = setup();
    context.fake.reply({ body: verifier }, { body: tokens(1) });
    await context.auth.signIn("ann@example.com", "pw");
    return context;
  }

  it("refreshes silently shortly before the access token expires, once for concurrent callers", async () => {
    const { fake, auth, advance, store } = await signedIn();
    advance(3600_000 - REFRESH_MARGIN_MS - 1000);
    expect(await auth.accessToken()).toBe(tokens(1).AuthenticationResult.AccessToken);
    advance(2000);
    fake.reply({ body: tokens(2, { refresh: false, at: T0 + 3600_000 }) });
    const [a, b] = await Promise.all([auth.accessToken(), auth.accessToken()]);
    expect(a).toBe(b);
    expect(a).toBe(tokens(2, { at: T0 + 3600_000 }).AuthenticationResult.AccessToken);
    expect(fake.operations.slice(2)).toEqual(["InitiateAuth"]);
    expect(fake.calls[2].body).toEqual({ ClientId: "client-1", AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: "refresh-1" } });
    // No new refresh token in the answer: the old one stays.
    expect(store.items.get("teamtasks.session")).toContain("refresh-1");
  });

  it("keeps a rotated refresh token", async () => {
    const { fake, auth, store } = await signedIn();
    fake.reply({ body: tokens(2) });
    await auth.onUnauthorized();
    expect(store.items.get("teamtasks.session")).toContain("refresh-2");
  });

  it("signs out with a reason when the refresh token is refused", async () => {
    const { fake, auth, store, states } = await signedIn();
    fake.reply({ status: 400, body: { __type: "NotAuthorizedException", message: "Refresh Token has been revoked" } });
    await expect(auth.onUnauthorized()).rejects.toBeInstanceOf(CognitoError);
    expect(states.at(-1)).toEqual({ status: "signedOut", reason: "Your session has ended. Please sign in again." });
    expect(store.items.size).toBe(0);
    await expect(auth.accessToken()).rejects.toMatchObject({ code: "NotSignedIn" });
  });

  it("resumes the tab's session from its refresh token", async () => {
    const { store } = await signedIn();
    const next = setup();
    next.store.items = store.items;
    next.fake.reply({ body: tokens(3, { email: "" }) });
    expect(await next.auth.restore()).toEqual({ status: "signedIn", user: { sub: "sub-ann", email: "ann@example.com" } });
    expect(next.fake.calls[0].body).toMatchObject({ AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: "refresh-1" } });
  });

  it("starts signed out, without calling Cognito, when the tab has no session", async () => {
    const { fake, auth } = setup();
    expect(await auth.restore()).toEqual({ status: "signedOut" });
    expect(fake.calls).toHaveLength(0);
  });

  it("says why when a session cannot be resumed for lack of network", async () => {
    const { store } = await signedIn();
    const next = setup();
    next.store.items = store.items;
    next.fake.reply(new TypeError("Failed to fetch"));
    const state = await next.auth.restore();
    expect(state.status).toBe("signedOut");
    expect(state.status === "signedOut" && state.reason).toMatch(/could not be resumed: The sign-in service could not be reached/);
  });
});

describe("sign-out", () => {
  it("of this browser revokes the tab's refresh token and forgets the tokens", async () => {
    const { fake, auth, store, states } = setup();
    fake.reply({ body: verifier }, { body: tokens(1) }, { body: {} });
    await auth.signIn("ann@example.com", "pw");
    await auth.signOut();
    expect(fake.operations.at(-1)).toBe("RevokeToken");
    expect(fake.calls.at(-1)!.body).toEqual({ Token: "refresh-1", ClientId: "client-1" });
    expect(store.items.size).toBe(0);
    expect(states.at(-1)).toEqual({ status: "signedOut", reason: undefined, ended: "browser" });
  });

  it("everywhere signs out globally", async () => {
    const { fake, auth, states } = setup();
    fake.reply({ body: verifier }, { body: tokens(1) }, { body: {} });
    await auth.signIn("ann@example.com", "pw");
    await auth.signOut("everywhere");
    expect(fake.operations.at(-1)).toBe("GlobalSignOut");
    expect(fake.calls.at(-1)!.body).toEqual({ AccessToken: tokens(1).AuthenticationResult.AccessToken });
    expect(states.at(-1)).toMatchObject({ status: "signedOut", ended: "everywhere" });
  });

  it("still signs out locally, and says so, when Cognito fails", async () => {
    const { fake, auth, store } = setup();
    fake.reply({ body: verifier }, { body: tokens(1) }, { status: 500, body: { __type: "InternalErrorException", message: "boom" } });
    await auth.signIn("ann@example.com", "pw");
    await expect(auth.signOut()).rejects.toMatchObject({ code: "SignOutIncomplete" });
    expect(auth.current.status).toBe("signedOut");
    expect(store.items.size).toBe(0);
  });
});

describe("the tabs of one browser", () => {
  class Bus {
    members: FakePeers[] = [];
  }
  class FakePeers implements Peers {
    handler: (message: PeerMessage) => void = () => {};
    held = false;
    constructor(private readonly bus: Bus) {
      bus.members.push(this);
    }
    listen(handler: (message: PeerMessage) => void) {
      this.handler = handler;
    }
    send(message: PeerMessage) {
      for (const other of this.bus.members) if (other !== this) other.handler(message);
    }
    holdSignedIn(held: boolean) {
      this.held = held;
    }
    async ask(): Promise<SharedSession | null> {
      if (!this.bus.members.some((m) => m !== this && m.held)) return null;
      return new Promise((resolve) => {
        const id = "q1";
        const previous = this.handler;
        this.handler = (message) => {
          if (message.type === "answer" && message.to === id) {
            this.handler = previous;
            resolve(message.session);
          } else previous(message);
        };
        this.send({ type: "ask", id });
      });
    }
  }

  function tab(bus: Bus) {
    const fake = new FakeFetch();
    const store = new MemoryStore();
    const auth = new Auth(new CognitoClient("us-east-1", null, "client-1", fake.fetch), POOL, store, () => T0, new FakePeers(bus));
    return { fake, store, auth };
  }

  it("a new tab takes the open tab's session without asking Cognito, and one sign-out ends both", async () => {
    const bus = new Bus();
    const first = tab(bus);
    first.fake.reply({ body: verifier }, { body: tokens(1) }, { body: {} });
    await first.auth.signIn("ann@example.com", "pw");
    const second = tab(bus);
    expect(await second.auth.restore()).toEqual({ status: "signedIn", user: { sub: "sub-ann", email: "ann@example.com" } });
    expect(second.fake.calls).toHaveLength(0);
    expect(JSON.parse(second.store.getItem("teamtasks.session")!)).toEqual({ refreshToken: "refresh-1", email: "ann@example.com" });
    expect(await second.auth.accessToken()).toBe(tokens(1).AuthenticationResult.AccessToken);

    await first.auth.signOut();
    expect(second.auth.current).toMatchObject({ status: "signedOut", ended: "browser", reason: "You signed out in this browser from another tab." });
    expect(second.store.items.size).toBe(0);
  });

  it("with no signed-in tab, a new tab is signed out at once", async () => {
    const bus = new Bus();
    tab(bus);
    const lone = tab(bus);
    expect(await lone.auth.restore()).toMatchObject({ status: "signedOut" });
  });
});

describe("sign-up and recovery", () => {
  it("signs up with the email as username and attribute, then confirms and resends", async () => {
    const { fake, auth } = setup();
    fake.reply(
      { body: { UserConfirmed: false, UserSub: "x", CodeDeliveryDetails: { Destination: "a***@e***" } } },
      { body: {} },
      { body: {} },
    );
    expect(await auth.signUp("ann@example.com", "Secret-Passw0rd!")).toEqual({ confirmed: false, destination: "a***@e***" });
    await auth.resendCode("ann@example.com");
    await auth.confirmSignUp("ann@example.com", "123456");
    expect(fake.operations).toEqual(["SignUp", "ResendConfirmationCode", "ConfirmSignUp"]);
    expect(fake.calls[0].body).toEqual({
      ClientId: "client-1",
      Username: "ann@example.com",
      Password: "Secret-Passw0rd!",
      UserAttributes: [{ Name: "email", Value: "ann@example.com" }],
    });
    expect(fake.calls[2].body).toEqual({ ClientId: "client-1", Username: "ann@example.com", ConfirmationCode: "123456" });
  });

  it("resets a forgotten password with the emailed code", async () => {
    const { fake, auth } = setup();
    fake.reply({ body: {} }, { body: {} });
    await auth.forgotPassword("ann@example.com");
    await auth.confirmForgotPassword("ann@example.com", "111111", "New-Passw0rd!!");
    expect(fake.calls[1].body).toEqual({ ClientId: "client-1", Username: "ann@example.com", ConfirmationCode: "111111", Password: "New-Passw0rd!!" });
  });
});
