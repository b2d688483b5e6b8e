// The app's rules that need no browser: relative due dates, three-way merges of a task, drafts,
// shortcuts, and the layering of the UI code.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { daysUntil, dueState, relativeDue } from "../src/lib/dates";
import { Drafts } from "../src/lib/drafts";
import { changedFields, threeWay } from "../src/lib/merge";
import { MemoryStore } from "./fakes";

const now = new Date(2027, 2, 10, 23, 30); // 10 March 2027, late evening (local time)

describe("due dates", () => {
  it.each([
    ["2027-03-07", "todo", "3 days overdue", "overdue"],
    ["2027-03-09", "in_progress", "1 day overdue", "overdue"],
    ["2027-03-10", "todo", "Due today", "soon"],
    ["2027-03-11", "todo", "Due tomorrow", "soon"],
    ["2027-03-12", "todo", "Due in 2 days", "soon"],
    ["2027-03-13", "todo", "Due in 3 days", "later"],
    ["2027-03-07", "done", "Due 3 days ago", "none"],
  ] as const)("%s (%s) reads “%s”", (due, status, text, state) => {
    expect(relativeDue(due, status, now)).toBe(text);
    expect(dueState(due, status, now)).toBe(state);
  });

  it("counts calendar days, whatever the hour and across a change of summer time", () => {
    expect(daysUntil("2027-03-11", new Date(2027, 2, 10, 0, 1))).toBe(1);
    expect(daysUntil("2027-04-10", new Date(2027, 2, 10, 12))).toBe(31);
    expect(dueState(null, "todo", now)).toBe("none");
  });

  it("names far dates exactly", () => {
    expect(relativeDue("2027-06-01", "todo", now)).toMatch(/^Due .*2027$/);
  });
});

describe("three-way merge", () => {
  const base = { title: "Brief", description: "", status: "todo" };

  it("keeps their change and mine where they do not clash, and names the clashes", () => {
    const mine = { title: "Brief", description: "Mine", status: "done" };
    const theirs = { title: "The brief", description: "", status: "in_progress" };
    const result = threeWay(base, mine, theirs);
    expect(result.merged).toEqual({ title: "The brief", description: "Mine", status: "done" });
    expect(result.conflicts).toEqual(["status"]);
    expect(result.theirs).toEqual(["title"]);
  });

  it("sends only what differs from the server", () => {
    expect(changedFields({ a: 1, b: 2 }, { a: 1, b: 3 })).toEqual({ b: 3 });
  });
});

describe("drafts", () => {
  it("are per user, survive a new Drafts (a reload), and go at sign-out", () => {
    const store = new (class extends MemoryStore {
      get length() {
        return this.items.size;
      }
      key(i: number) {
        return [...this.items.keys()][i] ?? null;
      }
    })();
    let user: string | null = "u1";
    const drafts = new Drafts(store, () => user);
    drafts.put("t1", { baseVersion: 1, base: { title: "a" }, mine: { title: "b" }, title: "a" });
    expect(new Drafts(store, () => "u1").get("t1")).toMatchObject({ mine: { title: "b" } });
    expect(new Drafts(store, () => "u2").get("t1")).toBeNull();
    user = null;
    expect(drafts.get("t1")).toBeNull();
    store.setItem("teamtasks.session", "{}");
    drafts.clearAll();
    expect([...store.items.keys()]).toEqual(["teamtasks.session"]);
  });
});

describe("layers", () => {
  const root = join(__dirname, "..", "src", "ui");
  const imports = (file: string) => [...readFileSync(file, "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]);

  it("no page imports another page, and nothing below the pages imports one", () => {
    const pages = readdirSync(join(root, "pages"));
    for (const page of pages) {
      expect(imports(join(root, "pages", page)).filter((i) => i.startsWith("./")), page).toEqual([]);
    }
    const shared = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory() && entry.name !== "pages");
    expect(shared.map((entry) => entry.name).sort()).toEqual(["comments", "components", "inbox", "tasks", "workspace"]);
    for (const { name: folder } of shared) {
      for (const file of readdirSync(join(root, folder))) {
        expect(imports(join(root, folder, file)).filter((i) => i.includes("pages/")), `${folder}/${file}`).toEqual([]);
      }
    }
  });
});
