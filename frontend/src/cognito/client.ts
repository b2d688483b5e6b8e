// Cognito's user-pool API as the browser calls it: unsigned JSON POSTs with X-Amz-Target. The same
// code talks to the emulator locally and to cognito-idp.<region>.amazonaws.com in AWS.

export class CognitoError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "CognitoError";
  }
}

export type Fetch = typeof fetch;

export function cognitoUrl(region: string, endpoint: string | null): string {
  return endpoint ? endpoint.replace(/\/?$/, "/") : `https://cognito-idp.${region}.amazonaws.com/`;
}

const FRIENDLY: Record<string, string> = {
  NotAuthorizedException: "Incorrect email or password.",
  UserNotFoundException: "Incorrect email or password.",
  UsernameExistsException: "An account with this email already exists.",
  CodeMismatchException: "That code is not right. Check it and try again.",
  ExpiredCodeException: "That code has expired. Ask for a new one.",
  LimitExceededException: "Too many attempts. Wait a while and try again.",
  TooManyRequestsException: "Too many requests. Wait a moment and try again.",
  TooManyFailedAttemptsException: "Too many failed attempts. Wait a while and try again.",
};

// Used when Cognito's own message is empty.
const FALLBACK: Record<string, string> = {
  InvalidPasswordException: "The password does not meet the password policy.",
  InvalidParameterException: "Some of the details are not valid.",
  UserNotConfirmedException: "Your account is not confirmed yet.",
};

export class CognitoClient {
  readonly url: string;

  constructor(
    region: string,
    endpoint: string | null,
    readonly clientId: string,
    private readonly fetchImpl: Fetch = (...args) => fetch(...args),
  ) {
    this.url = cognitoUrl(region, endpoint);
  }

  async call<T = Record<string, unknown>>(operation: string, body: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: JSON.stringify(body),
        cache: "no-store",
      });
    } catch {
      throw new CognitoError("NetworkError", "The sign-in service could not be reached. Check your connection and try again.");
    }
    const text = await response.text();
    let data: Record<string, unknown> = {};
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      data = {};
    }
    if (!response.ok) {
      const type = String(data.__type ?? data.code ?? `HTTP${response.status}`);
      const code = type.includes("#") ? type.slice(type.lastIndexOf("#") + 1) : type;
      const message = String(data.message ?? data.Message ?? "");
      // Password policy and parameter errors carry useful text; credential errors must not say
      // more than "incorrect email or password".
      const friendly =
        FRIENDLY[code] ??
        (message ? message.replace(/^[^:]*failed to satisfy constraint: /, "") : FALLBACK[code] ?? `Sign-in service error (${code}).`);
      throw new CognitoError(code, friendly);
    }
    return data as T;
  }
}
