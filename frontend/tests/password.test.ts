import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PASSWORD_POLICY, PASSWORD_RULES, unmetRules } from "../src/lib/password";

describe("the password rules", () => {
  it("are the user pool's policy, as the template declares it", () => {
    const template = readFileSync(new URL("../../addons/environment/cognito.yml", import.meta.url), "utf8");
    const block = template.slice(template.indexOf("PasswordPolicy:"), template.indexOf("TemporaryPasswordValidityDays"));
    const value = (name: string) => block.match(new RegExp(`${name}: (\\S+)`))?.[1];
    expect({
      minimumLength: Number(value("MinimumLength")),
      requireLowercase: value("RequireLowercase") === "true",
      requireUppercase: value("RequireUppercase") === "true",
      requireNumbers: value("RequireNumbers") === "true",
      requireSymbols: value("RequireSymbols") === "true",
    }).toEqual(PASSWORD_POLICY);
  });

  it("check each rule on its own, as Cognito counts them", () => {
    const unmet = (p: string) => unmetRules(p).map((rule) => rule.id);
    expect(PASSWORD_RULES.map((rule) => rule.id)).toEqual(["length", "upper", "lower", "number", "symbol"]);
    expect(unmet("")).toEqual(["length", "upper", "lower", "number", "symbol"]);
    expect(unmet("Test-Passw0rd!")).toEqual([]);
    expect(unmet("test-passw0rd!")).toEqual(["upper"]);
    expect(unmet("TEST-PASSW0RD!")).toEqual(["lower"]);
    expect(unmet("Test-Password!")).toEqual(["number"]);
    expect(unmet("TestPassw0rd12")).toEqual(["symbol"]);
    expect(unmet("Te-Passw0rd")).toEqual(["length"]);
    // A space counts as a symbol between other characters, not at either end.
    expect(unmet("Correct horse 9")).toEqual([]);
    expect(unmet("CorrectHorse9 ")).toEqual(["symbol"]);
    // Length in characters, not UTF-16 units; letters outside A-Z do not count as upper case.
    expect(unmet("Ä".repeat(11) + "a1!")).toEqual(["upper"]);
  });
});
