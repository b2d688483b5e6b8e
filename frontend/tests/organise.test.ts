// Organising work without a browser: dates as people type them (relative to a given today, in
// the locale's order), quick add's short syntax, and the safe Markdown subset.
import { describe, expect, it } from "vitest";
import type { VNode } from "preact";
import { dateOrder, formatDate, formatDateLong, parseDate } from "../src/lib/dates";
import { readSet } from "../src/lib/labels";
import { parseInline, parseMarkdown, safeHref } from "../src/lib/markdown";
import { changedFields, threeWay } from "../src/lib/merge";
import { parseQuickAdd } from "../src/lib/quick-add";
import { Markdown } from "../src/ui/components/markdown";

// Monday 7 December 2026, late evening local time.
const today = new Date(2026, 11, 7, 23, 30);

describe("the locale's date order", () => {
  it.each([
    ["en-GB", "dmy", "24 Dec 2026"],
    ["de-DE", "dmy", "24 Dec 2026"],
    ["en-US", "mdy", "Dec 24, 2026"],
    ["fil", "mdy", "Dec 24, 2026"],
    ["ja-JP", "ymd", "24 Dec 2026"],
  ] as const)("%s reads numbers %s and shows %s", (locale, order, shown) => {
    expect(dateOrder(locale)).toBe(order);
    expect(formatDate("2026-12-24", order)).toBe(shown);
  });
  it("writes the long form in the same order", () => {
    expect(formatDateLong("2026-12-24", "dmy")).toBe("Thursday 24 December 2026");
    expect(formatDateLong("2026-12-24", "mdy")).toBe("Thursday, December 24, 2026");
  });
});

describe("dates as typed", () => {
  it.each([
    ["today", "2026-12-07"],
    ["Tomorrow", "2026-12-08"],
    ["fri", "2026-12-11"],
    ["friday", "2026-12-11"],
    ["mon", "2026-12-14"], // today is a Monday: "mon" is next week's
    ["next tue", "2026-12-08"],
    ["dec 24", "2026-12-24"],
    ["24 Dec", "2026-12-24"],
    ["24th december", "2026-12-24"],
    ["dec 7", "2026-12-07"], // today still counts
    ["dec 6", "2027-12-06"], // passed: next year's
    ["jan 3", "2027-01-03"],
    ["Mar 1, 2028", "2028-03-01"],
    ["2026-12-24", "2026-12-24"],
    ["24/12/2026", "2026-12-24"],
    ["24.12.26", "2026-12-24"],
    ["24/12", "2026-12-24"],
  ])("%s -> %s (day-first locale)", (text, due) => {
    expect(parseDate(text, today, "dmy")).toBe(due);
  });
  it("reads numbers in the locale's order", () => {
    expect(parseDate("1.5", today, "dmy")).toBe("2027-05-01");
    expect(parseDate("12/24/2026", today, "mdy")).toBe("2026-12-24");
    expect(parseDate("12/24/2026", today, "dmy")).toBeNull();
    expect(parseDate("2026/12/24", today, "ymd")).toBe("2026-12-24");
    expect(parseDate("3/4/2027", today, "dmy")).toBe("2027-04-03");
    expect(parseDate("3/4/2027", today, "mdy")).toBe("2027-03-04");
  });
  it.each(["", "soon", "feb 30", "31/02/2027", "2026-13-01", "dec", "fri dec", "32 dec"])("refuses %j", (text) => {
    expect(parseDate(text, today, "dmy")).toBeNull();
  });
});

describe("quick add's short syntax", () => {
  const members = [
    { user_id: "u-ann", email: "ann@example.com" },
    { user_id: "u-anna", email: "anna@example.com" },
    { user_id: "u-bob", email: "bob.smith@example.org" },
  ];
  const labels = [
    { id: "l-bug", name: "Bug" },
    { id: "l-fe", name: "Front end" },
    { id: "l-cafe", name: "Café" },
  ];
  const parse = (text: string, order: "dmy" | "mdy" = "dmy") => parseQuickAdd(text, { today, members, labels, order });

  it("takes the date, the assignee, labels and the priority out of the title", () => {
    const result = parse("Fix the login page tomorrow @bob #bug #front-end !1");
    expect(result).toMatchObject({ title: "Fix the login page", due_date: "2026-12-08", dueText: "tomorrow", priority: "urgent", notes: [] });
    expect(result.assignee?.user_id).toBe("u-bob");
    expect(result.labels.map((l) => l.id)).toEqual(["l-bug", "l-fe"]);
  });
  it.each([
    ["!1", "urgent"],
    ["!2", "high"],
    ["!3", "medium"],
    ["!4", "low"],
  ])("%s is %s", (key, priority) => {
    expect(parse(`Task ${key}`).priority).toBe(priority);
  });
  it("reads dates of two and three words anywhere", () => {
    expect(parse("Send cards dec 24 to the team")).toMatchObject({ title: "Send cards to the team", due_date: "2026-12-24", dueText: "dec 24" });
    expect(parse("Renew dec 24 2027")).toMatchObject({ title: "Renew", due_date: "2027-12-24" });
    expect(parse("Review fri")).toMatchObject({ title: "Review", due_date: "2026-12-11" });
    expect(parse("Pay 12/24", "mdy").due_date).toBe("2026-12-24");
  });
  it("matches labels ignoring case, accents and spaces", () => {
    expect(parse("Order #CAFE beans").labels.map((l) => l.id)).toEqual(["l-cafe"]);
    expect(parse("x #frontend").labels.map((l) => l.id)).toEqual(["l-fe"]);
  });
  it("matches an exact name before a prefix, and refuses an ambiguous one", () => {
    expect(parse("Call @ann").assignee?.user_id).toBe("u-ann");
    const ambiguous = parse("Call @an");
    expect(ambiguous.assignee).toBeNull();
    expect(ambiguous.title).toBe("Call @an");
    expect(ambiguous.notes).toEqual(["@an fits 2 members: type more of the address."]);
  });
  it("keeps what it does not understand in the title, and says so", () => {
    const result = parse("Fix #123 for @zed");
    expect(result.title).toBe("Fix #123 for @zed");
    expect(result.labels).toEqual([]);
    expect(result.notes).toHaveLength(2);
  });
  it("leaves plain numbers, lone months and words alone", () => {
    expect(parse("Buy 2 pens and 1.5 kg of rice in may")).toMatchObject({ title: "Buy 2 pens and 1.5 kg of rice in may", due_date: null, priority: null });
    expect(parse("!5 stars").priority).toBeNull();
    expect(parse("  ").title).toBe("");
  });
  it("takes only the first date and the first priority", () => {
    expect(parse("Move fri to mon !2 !1")).toMatchObject({ title: "Move to mon !1", due_date: "2026-12-11", priority: "high" });
  });
});

describe("a task's labels in merges", () => {
  const base = { title: "a", labels: ["x"] };
  it("compares lists by their items", () => {
    expect(changedFields(base, { title: "a", labels: ["x"] })).toEqual({});
    expect(changedFields(base, { title: "a", labels: ["x", "y"] })).toEqual({ labels: ["x", "y"] });
    expect(threeWay(base, { ...base, labels: ["x"] }, { ...base, labels: ["y"] }).theirs).toEqual(["labels"]);
  });
  it("reads a set filter from the URL", () => {
    expect(readSet("done,todo,bogus", ["todo", "in_progress", "done"] as const)).toEqual(["todo", "done"]);
    expect(readSet(null, ["todo"] as const)).toEqual([]);
  });
});

// -- Markdown --------------------------------------------------------------------------------

/** Every element of a rendered tree, depth first. */
function elements(node: unknown, out: VNode[] = []): VNode[] {
  if (Array.isArray(node)) node.forEach((n) => elements(n, out));
  else if (node && typeof node === "object" && "type" in node) {
    const vnode = node as VNode<Record<string, unknown>>;
    if (typeof vnode.type === "function") elements((vnode.type as (p: unknown) => unknown)(vnode.props), out);
    else {
      out.push(vnode);
      elements(vnode.props.children, out);
    }
  }
  return out;
}
const render = (source: string) => elements(Markdown({ source }));
const text = (node: unknown): string =>
  Array.isArray(node) ? node.map(text).join("") : typeof node === "string" || typeof node === "number" ? String(node) : node && typeof node === "object" && "props" in node ? text((node as VNode<{ children?: unknown }>).props.children) : "";

describe("Markdown", () => {
  it("understands paragraphs, emphasis, code, lists, quotes and fenced code", () => {
    expect(parseMarkdown("Hello **big** *world* and `x<y`\n\n- one\n- two\n\n1. first\n\n> quoted\n\n```\n<b>raw</b>\n```")).toEqual([
      { type: "p", children: [{ type: "text", text: "Hello " }, { type: "strong", children: [{ type: "text", text: "big" }] }, { type: "text", text: " " }, { type: "em", children: [{ type: "text", text: "world" }] }, { type: "text", text: " and " }, { type: "code", text: "x<y" }] },
      { type: "ul", items: [[{ type: "text", text: "one" }], [{ type: "text", text: "two" }]] },
      { type: "ol", items: [[{ type: "text", text: "first" }]] },
      { type: "quote", children: [{ type: "text", text: "quoted" }] },
      { type: "pre", text: "<b>raw</b>" },
    ]);
  });
  it("leaves snake_case and unclosed markers as text", () => {
    expect(parseInline("use my_var_name and 2 * 3 and **open")).toEqual([{ type: "text", text: "use my_var_name and 2 * 3 and **open" }]);
  });
  it("links http, https and mailto, written or bare, with a safe rel", () => {
    const links = render("See [the docs](https://example.com/a?b=1&c=2), http://example.org/x. or [mail](mailto:ann@example.com)").filter((e) => e.type === "a");
    expect(links.map((a) => a.props)).toEqual([
      expect.objectContaining({ href: "https://example.com/a?b=1&c=2", rel: "noopener noreferrer nofollow", target: "_blank" }),
      expect.objectContaining({ href: "http://example.org/x", rel: "noopener noreferrer nofollow" }),
      expect.objectContaining({ href: "mailto:ann@example.com", rel: "noopener noreferrer nofollow" }),
    ]);
  });
  it.each([
    "[click](javascript:alert(1))",
    "[click](JavaScript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](vbscript:msgbox)",
    "[click](//evil.example/x)",
    "[click](/relative)",
    "javascript:alert(1)",
  ])("never links %j", (source) => {
    const rendered = render(source);
    expect(rendered.filter((e) => e.type === "a")).toEqual([]);
    expect(text(Markdown({ source }))).toBe(source.replace("\t", "\t"));
  });
  it("shows HTML as text and never sets HTML", () => {
    const source = '<script>alert(1)</script> <img src=x onerror="alert(1)"> **<b>bold</b>**';
    const rendered = render(source);
    expect(rendered.map((e) => e.type)).toEqual(["div", "p", "strong"]);
    expect(rendered.some((e) => "dangerouslySetInnerHTML" in (e.props as object))).toBe(false);
    expect(text(Markdown({ source }))).toBe('<script>alert(1)</script> <img src=x onerror="alert(1)"> <b>bold</b>');
  });
  it("keeps a quote inside an address in the attribute's value, not as a new attribute", () => {
    const [link] = render('[x](https://example.com/"onmouseover="alert(1))').filter((e) => e.type === "a");
    expect(link.props).toMatchObject({ href: 'https://example.com/"onmouseover="alert' });
    expect(Object.keys(link.props).sort()).toEqual(["children", "class", "href", "rel", "target"]);
    expect(safeHref(" https://ok.example ")).toBe("https://ok.example");
    expect(safeHref("https:evil")).toBeNull();
  });
});
