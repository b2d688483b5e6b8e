// @mentions: finding the one being typed, suggesting members, inserting one, and reading them
// back out of a comment's text.
import { describe, expect, it } from "vitest";
import type { Member } from "../src/api/client";
import { MAX_SUGGESTIONS, bodyParts, insertMention, mentionAt, mentionedMembers, suggestions } from "../src/lib/mentions";

const member = (email: string, id = email.split("@")[0]): Member => ({ user_id: id, email, role: "member", added_at: "" });
const ann = member("ann@example.com");
const bob = member("bob@example.com");
const bobby = member("bobby@example.org");
const members = [ann, bob, bobby];

describe("the mention being typed", () => {
  it.each([
    ["@", 1, { start: 0, query: "" }],
    ["hi @bo", 6, { start: 3, query: "bo" }],
    ["(@bob@ex", 8, { start: 1, query: "bob@ex" }],
    ["line\n@a", 7, { start: 5, query: "a" }],
    ["hi @bo and", 6, { start: 3, query: "bo" }],
  ])("%j at %i", (text, caret, expected) => {
    expect(mentionAt(text, caret)).toEqual(expected);
  });

  it.each([
    ["mail bob@ex", 11],
    ["hi @bo ", 7],
    ["x@bo", 4],
    ["", 0],
  ])("none in %j at %i", (text, caret) => {
    expect(mentionAt(text, caret)).toBeNull();
  });
});

describe("suggestions", () => {
  it("puts emails that start with the query first, then those that contain it", () => {
    expect(suggestions(members, "bo").map((m) => m.email)).toEqual(["bob@example.com", "bobby@example.org"]);
    expect(suggestions(members, "ORG").map((m) => m.email)).toEqual(["bobby@example.org"]);
    expect(suggestions(members, "").length).toBe(3);
  });

  it("shows a few at most", () => {
    const many = Array.from({ length: 20 }, (_, i) => member(`m${i}@example.com`));
    expect(suggestions(many, "m")).toHaveLength(MAX_SUGGESTIONS);
  });
});

describe("inserting a mention", () => {
  it("replaces what was typed with the email and a space, and puts the caret after it", () => {
    expect(insertMention("hi @bo", { start: 3, query: "bo" }, 6, "bob@example.com")).toEqual({ text: "hi @bob@example.com ", caret: 20 });
  });

  it("replaces the rest of the word after the caret too, and keeps the space there", () => {
    const text = "hi @boXX there";
    expect(insertMention(text, { start: 3, query: "bo" }, 6, "bob@example.com")).toEqual({ text: "hi @bob@example.com there", caret: 20 });
  });
});

describe("mentions in a comment", () => {
  it("are the members whose @email stands whole in the text, in order of appearance", () => {
    const text = "@bobby@example.org and @ann@example.com, not @bob@example.co or x@bob@example.com.";
    expect(mentionedMembers(text, members).map((m) => m.user_id)).toEqual(["bobby", "ann"]);
    expect(mentionedMembers("Thanks @bob@example.com.", members).map((m) => m.user_id)).toEqual(["bob"]);
    expect(mentionedMembers("ask @BOB@example.com", members).map((m) => m.user_id)).toEqual(["bob"]);
  });

  it("are cut out for display, the rest kept as it is", () => {
    expect(bodyParts("hi @bob@example.com, see @ann@example.com", ["bob@example.com"])).toEqual([
      { text: "hi " },
      { text: "@bob@example.com", mention: "bob@example.com" },
      { text: ", see @ann@example.com" },
    ]);
    expect(bodyParts("no mentions", ["bob@example.com"])).toEqual([{ text: "no mentions" }]);
  });
});
