import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config";
import { entryPath, parseRoute, safeNext } from "../src/ui/router";

describe("routes", () => {
  it.each([
    ["/", "", { name: "myTasks" }],
    ["/", "?status=todo", { name: "myTasks" }],
    ["/workspaces", "", { name: "workspaces" }],
    ["/workspaces/01AB/board", "", { name: "workspace", id: "01AB", tab: "board" }],
    ["/signin", "", { name: "signin", email: "", next: null }],
    ["/confirm", "?email=a%40example.com", { name: "confirm", email: "a@example.com", next: null }],
    ["/signup", "?email=a%2Bb%40example.com&next=%2Finvitations", { name: "signup", email: "a+b@example.com", next: "/invitations" }],
    ["/signin", "?next=https%3A%2F%2Fevil.example", { name: "signin", email: "", next: null }],
    ["/invitations", "?email=a%40example.com", { name: "invitations", email: "a@example.com" }],
    ["/notifications", "?unread=1", { name: "notifications" }],
    ["/unsubscribe", "?token=abc.def", { name: "unsubscribe", token: "abc.def" }],
    ["/unsubscribe", "", { name: "unsubscribe", token: "" }],
    ["/workspaces/01AB", "", { name: "workspace", id: "01AB", tab: "tasks" }],
    ["/workspaces/01AB/members", "", { name: "workspace", id: "01AB", tab: "members" }],
    ["/workspaces/01AB/audit", "", { name: "workspace", id: "01AB", tab: "audit" }],
    ["/workspaces/01AB/tasks/01CD", "", { name: "task", workspaceId: "01AB", taskId: "01CD" }],
    ["/workspaces/01AB/nope", "", { name: "notFound" }],
    ["/signin/extra", "", { name: "notFound" }],
    ["/elsewhere", "", { name: "notFound" }],
  ])("%s%s", (path, search, route) => {
    expect(parseRoute(path, search)).toEqual(route);
  });
});

describe("where to go after signing in", () => {
  it.each([
    ["/invitations?email=a%40example.com", "/invitations?email=a%40example.com"],
    ["/", "/"],
    ["//evil.example/x", null],
    ["/\\evil.example", null],
    ["https://evil.example", null],
    ["javascript:alert(1)", null],
    ["/with space", null],
    ["", null],
  ])("%j -> %j", (value, expected) => {
    expect(safeNext(value)).toBe(expected);
  });

  it("carries the email and the way back through sign-up, confirmation and sign-in", () => {
    // The invitation's own address stays encoded inside `next` (a "+" must not become a space).
    const back = `/invitations?email=${encodeURIComponent("a+b@example.com")}`;
    const path = entryPath("signup", "a+b@example.com", back);
    const [pathname, search] = path.split("?");
    expect(parseRoute(pathname, `?${search}`)).toEqual({ name: "signup", email: "a+b@example.com", next: back });
    const [nextPath, nextSearch] = back.split("?");
    expect(parseRoute(nextPath, `?${nextSearch}`)).toEqual({ name: "invitations", email: "a+b@example.com" });
    expect(entryPath("signin", "", "/")).toBe("/signin");
  });
});

describe("/config.json", () => {
  const good = {
    apiBaseUrl: "/api/v1",
    region: "eu-west-1",
    userPoolId: "eu-west-1_AbC123",
    userPoolClientId: "abc",
    cognitoEndpoint: null,
  };

  it("accepts the deployed shape (no emulator) and the local one", () => {
    expect(parseConfig(good)).toEqual(good);
    expect(parseConfig({ ...good, cognitoEndpoint: "http://127.0.0.1:4566" }).cognitoEndpoint).toBe("http://127.0.0.1:4566");
  });

  it("names every missing or wrong field", () => {
    expect(() => parseConfig({ ...good, region: "", userPoolId: "nope" })).toThrow(
      "The app's configuration (/config.json) is invalid: region is missing; userPoolId is not a user pool id.",
    );
  });
});
