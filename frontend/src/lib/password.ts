// The user pool's password policy (addons/environment/cognito.yml, PasswordPolicy), checked as the
// user types. A vitest holds these values to the template, so the two cannot drift apart.

export const PASSWORD_POLICY = {
  minimumLength: 12,
  requireLowercase: true,
  requireUppercase: true,
  requireNumbers: true,
  requireSymbols: true,
} as const;

/** Cognito's symbols; a space counts too, except at the start or the end. */
const SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-";

function hasSymbol(password: string): boolean {
  return [...password].some((c) => SYMBOLS.includes(c)) || password.slice(1, -1).includes(" ");
}

export interface PasswordRule {
  id: string;
  /** What the rule asks, as a list item: "At least 12 characters". */
  label: string;
  /** What is missing, after "Still needed:": "12 characters (3 more)". */
  needed: (password: string) => string;
  met: (password: string) => boolean;
}

export const PASSWORD_RULES: PasswordRule[] = [
  {
    id: "length",
    label: `At least ${PASSWORD_POLICY.minimumLength} characters`,
    needed: (p) => `${PASSWORD_POLICY.minimumLength - [...p].length} more characters`,
    met: (p) => [...p].length >= PASSWORD_POLICY.minimumLength,
  },
  ...(PASSWORD_POLICY.requireUppercase ? [{ id: "upper", label: "An upper-case letter (A–Z)", needed: () => "an upper-case letter", met: (p: string) => /[A-Z]/.test(p) }] : []),
  ...(PASSWORD_POLICY.requireLowercase ? [{ id: "lower", label: "A lower-case letter (a–z)", needed: () => "a lower-case letter", met: (p: string) => /[a-z]/.test(p) }] : []),
  ...(PASSWORD_POLICY.requireNumbers ? [{ id: "number", label: "A number (0–9)", needed: () => "a number", met: (p: string) => /[0-9]/.test(p) }] : []),
  ...(PASSWORD_POLICY.requireSymbols ? [{ id: "symbol", label: "A symbol, such as ! ? # - or a space", needed: () => "a symbol", met: hasSymbol }] : []),
];

/** The rules the password does not meet yet (none: Cognito will take it). */
export function unmetRules(password: string): PasswordRule[] {
  return PASSWORD_RULES.filter((rule) => !rule.met(password));
}
