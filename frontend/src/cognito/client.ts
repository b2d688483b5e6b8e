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

// Cognito's own messages never reach the user: they are written for developers, differ between
// AWS and the emulator (whose password message has a typo), and some say whether an account
// exists. Each error code gets the app's words; a few depend on the operation.
const MESSAGES: Record<string, string> = {
  NotAuthorizedException: "Incorrect email or password.",
  UserNotFoundException: "Incorrect email or password.",
  UsernameExistsException: "An account with this email already exists.",
  AliasExistsException: "An account with this email already exists.",
  InvalidPasswordException: "This password does not follow the rules for passwords. Check the list under the password.",
  PasswordHistoryPolicyViolationException: "Choose a password you have not used recently.",
  InvalidParameterException: "Some of the details are not valid. Check the email address and try again.",
  UserNotConfirmedException: "Your account is not confirmed yet. Enter the code we emailed you.",
  PasswordResetRequiredException: "Your password must be reset before you can sign in. Choose “Forgot your password?”.",
  CodeMismatchException: "That code is not right. Check it and try again.",
  EnableSoftwareTokenMFAException: "That code is not right. Check it and try again.",
  ExpiredCodeException: "That code has expired. Ask for a new one.",
  CodeDeliveryFailureException: "We could not send you the code. Check the address, or try again later.",
  LimitExceededException: "Too many attempts. Wait a while and try again.",
  TooManyRequestsException: "Too many requests. Wait a moment and try again.",
  TooManyFailedAttemptsException: "Too many failed attempts. Wait a while and try again.",
  InternalErrorException: "The sign-in service had a problem. Try again in a moment.",
};

/** Where the same code means something else: "<operation> <code>". */
const IN_OPERATION: Record<string, string> = {
  // A second confirmation of a confirmed account, or a code for a new one on a confirmed account.
  "ConfirmSignUp NotAuthorizedException": "This account is already confirmed. Sign in.",
  "ResendConfirmationCode InvalidParameterException": "This account is already confirmed. Sign in.",
  "ConfirmSignUp UserNotFoundException": "That code is not right, or there is no account waiting for it. Check the email address.",
  "ConfirmForgotPassword UserNotFoundException": "That code is not right. Check it and try again.",
  "GlobalSignOut NotAuthorizedException": "Your session has already ended.",
  "RevokeToken NotAuthorizedException": "Your session has already ended.",
  "InitiateAuth InvalidParameterException": "Enter your email address and password.",
  "SignUp InvalidParameterException": "Check the email address, and that the password neither starts nor ends with a space.",
  "ConfirmForgotPassword InvalidParameterException": "Check that the password neither starts nor ends with a space.",
};

/** The app's words for a refusal from Cognito; never Cognito's own text. */
export function cognitoMessage(operation: string, code: string, status: number): string {
  return (
    IN_OPERATION[`${operation} ${code}`] ??
    MESSAGES[code] ??
    (status >= 500 ? MESSAGES.InternalErrorException : `The sign-in service refused this request (${code}). Try again; if it keeps happening, tell us.`)
  );
}

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
      throw new CognitoError(code, cognitoMessage(operation, code, response.status));
    }
    return data as T;
  }
}
