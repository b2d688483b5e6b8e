// The runtime configuration: /config.json, served by the local stack or written beside the
// assets at deploy time. Nothing about an environment is baked into the build.

export interface RuntimeConfig {
  apiBaseUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** The emulator locally; null in AWS (then cognito-idp.<region>.amazonaws.com). */
  cognitoEndpoint: string | null;
}

export function parseConfig(value: unknown): RuntimeConfig {
  const v = (value ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const text = (key: string) => {
    if (typeof v[key] !== "string" || !v[key]) problems.push(`${key} is missing`);
    return String(v[key] ?? "");
  };
  const config: RuntimeConfig = {
    apiBaseUrl: text("apiBaseUrl"),
    region: text("region"),
    userPoolId: text("userPoolId"),
    userPoolClientId: text("userPoolClientId"),
    cognitoEndpoint: typeof v.cognitoEndpoint === "string" && v.cognitoEndpoint ? v.cognitoEndpoint : null,
  };
  if (config.userPoolId && !/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/.test(config.userPoolId)) {
    problems.push("userPoolId is not a user pool id");
  }
  if (problems.length) throw new Error(`The app's configuration (/config.json) is invalid: ${problems.join("; ")}.`);
  return config;
}

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<RuntimeConfig> {
  const response = await fetchImpl("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`The app's configuration (/config.json) could not be loaded (HTTP ${response.status}).`);
  return parseConfig(await response.json());
}
