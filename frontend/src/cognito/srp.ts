// Cognito's SRP-6a variant (USER_SRP_AUTH / PASSWORD_VERIFIER), with BigInt and Web Crypto.
// The password only ever enters `passwordKey` below; what leaves the browser is A and an HMAC.
// tests/srp.test.ts checks every step against amazon-cognito-identity-js, the reference client.

// RFC 5054's 3072-bit group, which Cognito uses, with g = 2.
const N_HEX =
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
  "29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
  "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
  "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
  "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
  "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
  "83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
  "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
  "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
  "DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
  "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64" +
  "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
  "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B" +
  "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
  "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31" +
  "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";
export const N = BigInt("0x" + N_HEX);
export const g = 2n;

const encoder = new TextEncoder();

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    e >>= 1n;
    b = (b * b) % modulus;
  }
  return result;
}

/** Hex of a non-negative integer as Cognito hashes it: even length, and a leading 00 when the
 * first nibble has its high bit set (so it reads as positive in two's complement). */
export function padHex(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = "0" + hex;
  else if ("89abcdef".includes(hex[0])) hex = "00" + hex;
  return hex;
}

export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  return bytes;
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function sha256Hex(data: Uint8Array<ArrayBuffer>): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
}

async function hmac(key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, data));
}

const kPromise = sha256Hex(hexToBytes(padHex(N) + padHex(g))).then((h) => BigInt("0x" + h));

/** A fresh client secret a and its public value A = g^a mod N. */
export function newEphemeral(random: Uint8Array = crypto.getRandomValues(new Uint8Array(128))): {
  a: bigint;
  A: bigint;
} {
  const a = BigInt("0x" + bytesToHex(random)) % N;
  const A = modPow(g, a, N);
  if (A === 0n) throw new Error("SRP: A mod N is 0");
  return { a, A };
}

/** The 16-byte key both sides derive; Cognito calls the HKDF info "Caldera Derived Key". */
export async function passwordKey(params: {
  poolName: string;
  userId: string;
  password: string;
  a: bigint;
  A: bigint;
  B: bigint;
  salt: bigint;
}): Promise<Uint8Array> {
  const { poolName, userId, password, a, A, B, salt } = params;
  if (B % N === 0n) throw new Error("SRP: the server's B mod N is 0");
  const k = await kPromise;
  const u = BigInt("0x" + (await sha256Hex(hexToBytes(padHex(A) + padHex(B)))));
  if (u === 0n) throw new Error("SRP: u is 0");
  const identityHash = await sha256Hex(encoder.encode(`${poolName}${userId}:${password}`));
  const x = BigInt("0x" + (await sha256Hex(hexToBytes(padHex(salt) + identityHash))));
  const base = (((B - k * modPow(g, x, N)) % N) + N) % N;
  const S = modPow(base, a + u * x, N);
  const ikm = await crypto.subtle.importKey("raw", hexToBytes(padHex(S)), "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: hexToBytes(padHex(u)), info: encoder.encode("Caldera Derived Key") },
    ikm,
    128,
  );
  return new Uint8Array(bits);
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Cognito's TIMESTAMP: "Tue Nov 3 08:04:05 UTC 2026" (the day of month is not padded). */
export function cognitoTimestamp(now: Date = new Date()): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${DAYS[now.getUTCDay()]} ${MONTHS[now.getUTCMonth()]} ${now.getUTCDate()} ` +
    `${two(now.getUTCHours())}:${two(now.getUTCMinutes())}:${two(now.getUTCSeconds())} ` +
    `UTC ${now.getUTCFullYear()}`
  );
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 to bytes, as leniently as Node's Buffer (the reference client's decoder): the URL-safe
 * alphabet is accepted, padding ends the input and anything else is skipped. */
export function base64ToBytes(value: string): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of value) {
    if (char === "=") break;
    let digit = B64.indexOf(char);
    if (char === "-") digit = 62;
    else if (char === "_") digit = 63;
    if (digit < 0) continue;
    buffer = (buffer << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return new Uint8Array(out);
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** PASSWORD_CLAIM_SIGNATURE = base64(HMAC(key, poolName | userId | secretBlock | timestamp)). */
export async function claimSignature(params: {
  key: Uint8Array;
  poolName: string;
  userId: string;
  secretBlock: string;
  timestamp: string;
}): Promise<string> {
  const message = concat(
    encoder.encode(params.poolName),
    encoder.encode(params.userId),
    base64ToBytes(params.secretBlock),
    encoder.encode(params.timestamp),
  );
  return bytesToBase64(await hmac(new Uint8Array(params.key), message));
}
