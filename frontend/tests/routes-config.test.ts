import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config";
import { parseRoute } from "../src/ui/router";

describe("routes", () => {
  it.each([
    ["/", "", { name: "myTasks" }],
    ["/", "?status=todo", { name: "myTasks" }],
    ["/workspaces", "", { name: "workspaces" }],
    ["/workspaces/01AB/board", "", { name: "workspace", id: "01AB", tab: "board" }],
    ["/signin", "", { name: "signin" }],
    ["/confirm", "?email=a%40example.com", { name: "confirm", email: "a@example.com" }],
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
