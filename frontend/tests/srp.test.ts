// Our SRP against amazon-cognito-identity-js, the reference browser client that real Cognito
// accepts. The emulator does not check the password proof, so this is what guards sign-in in AWS.
import { createHmac, randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as reference from "amazon-cognito-identity-js";
import BigInteger from "amazon-cognito-identity-js/lib/BigInteger";
import {
  N,
  base64ToBytes,
  bytesToHex,
  claimSignature,
  cognitoTimestamp,
  newEphemeral,
  padHex,
  passwordKey,
} from "../src/cognito/srp";

type Helper = {
  smallAValue: unknown;
  largeAValue: unknown;
  getLargeAValue(cb: (err: unknown, value: { toString(radix: number): string }) => void): void;
  getPasswordAuthenticationKey(
    user: string,
    password: string,
    B: unknown,
    salt: unknown,
    cb: (err: unknown, key: Buffer) => void,
  ): void;
  padHex(value: unknown): string;
};

const { AuthenticationHelper, DateHelper } = reference as unknown as {
  AuthenticationHelper: unknown;
  DateHelper: new () => { getNowString(): string };
};

function referenceHelper(poolName: string, aHex: string): Helper {
  const helper = new (AuthenticationHelper as unknown as new (pool: string) => Helper)(poolName);
  helper.smallAValue = new BigInteger(aHex, 16);
  helper.largeAValue = undefined;
  return helper;
}

const hexOf = (n: bigint) => n.toString(16);
const randomBig = (bytes: number) => BigInt("0x" + randomBytes(bytes).toString("hex"));

describe("SRP, compared with the reference client", () => {
  const cases = Array.from({ length: 6 }, (_, i) => ({
    poolName: "AbCdEf123",
    userId: `0f0e4a2c-77b1-4c0e-9d7a-${String(i).padStart(12, "0")}`,
    password: i % 2 ? "Demo-Passw0rd!" : "pässwörd with ünïcode ✓",
    // Real Cognito sends a 3072-bit B; the emulator sends 128 bits (a uuid's hex).
    B: i < 4 ? randomBig(384) % N : randomBig(16),
    salt: i % 3 ? randomBig(16) : randomBig(16) | (1n << 127n),
    random: new Uint8Array(randomBytes(128)),
  }));

  it.each(cases)("derives the same A and password key (case %#)", async (c) => {
    const { a, A } = newEphemeral(c.random);
    const helper = referenceHelper(c.poolName, hexOf(a));
    const referenceA = await new Promise<string>((resolve, reject) =>
      helper.getLargeAValue((err, value) => (err ? reject(err) : resolve(value.toString(16)))),
    );
    expect(hexOf(A)).toBe(referenceA);

    const referenceKey = await new Promise<Buffer>((resolve, reject) =>
      helper.getPasswordAuthenticationKey(
        c.userId,
        c.password,
        new BigInteger(hexOf(c.B), 16),
        new BigInteger(hexOf(c.salt), 16),
        (err, key) => (err ? reject(err) : resolve(key)),
      ),
    );
    const key = await passwordKey({ ...c, a, A });
    expect(bytesToHex(key)).toBe(Buffer.from(referenceKey).toString("hex"));
    expect(key).toHaveLength(16);
    // The reference client's pure-JS 3072-bit arithmetic takes about a second a case on a quiet
    // machine and timed out at vitest's 5 s default under load; correctness, not speed, is tested.
  }, 60_000);

  it("pads hex as the reference does", () => {
    const helper = referenceHelper("p", "1");
    for (const value of [1n, 0x7fn, 0x80n, 0xabcn, 0x8000n, N, randomBig(64)]) {
      expect(padHex(value)).toBe(helper.padHex(new BigInteger(hexOf(value), 16)).toLowerCase());
    }
  });

  it("rejects a server B that is 0 mod N", async () => {
    const { a, A } = newEphemeral();
    await expect(
      passwordKey({ poolName: "p", userId: "u", password: "x", a, A, B: N, salt: 1n }),
    ).rejects.toThrow(/B mod N/);
  });

  it("signs the claim as the reference does, for base64 and emulator secret blocks", async () => {
    const key = new Uint8Array(randomBytes(16));
    const timestamp = "Thu Nov 26 09:04:05 UTC 2026";
    for (const secretBlock of [randomBytes(500).toString("base64"), "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"]) {
      const expected = createHmac("sha256", key)
        .update(
          Buffer.concat([
            Buffer.from("Pool1", "utf8"),
            Buffer.from("user-1", "utf8"),
            Buffer.from(secretBlock, "base64"),
            Buffer.from(timestamp, "utf8"),
          ]),
        )
        .digest("base64");
      const signature = await claimSignature({ key, poolName: "Pool1", userId: "user-1", secretBlock, timestamp });
      expect(signature).toBe(expected);
      expect(bytesToHex(base64ToBytes(secretBlock))).toBe(Buffer.from(secretBlock, "base64").toString("hex"));
    }
  });
});

describe("the TIMESTAMP", () => {
  afterEach(() => vi.useRealTimers());

  it.each(["2026-11-03T08:04:05Z", "2026-01-31T23:59:09Z", "2027-07-14T00:00:00Z"])(
    "matches the reference at %s",
    (iso) => {
      vi.useFakeTimers();
      vi.setSystemTime(new Date(iso));
      expect(cognitoTimestamp()).toBe(new DateHelper().getNowString());
    },
  );

  it("does not pad the day of the month", () => {
    expect(cognitoTimestamp(new Date("2026-11-03T08:04:05Z"))).toBe("Tue Nov 3 08:04:05 UTC 2026");
  });
});
