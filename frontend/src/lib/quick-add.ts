// Quick add's short syntax, read as the user types so the form can show what it understood
// before anything is saved:
//   a due date in words   tomorrow, fri, dec 24, 24/12 (the locale's order), 2026-12-24
//   @someone              the assignee: a member whose address starts with it (unique)
//   #label                a label of the workspace, by name (case and accents ignored;
//                         a name with spaces is typed without them or with dashes)
//   !1 .. !4              priority: !1 urgent, !2 high, !3 medium, !4 low (1 is the highest,
//                         as in the usual to-do apps; the API's `none` is simply no !n)
// What is not understood stays in the title, and the preview says why (an unknown #label, an
// @name that fits two members), so nothing the user typed disappears.
import type { Priority } from "../api/client";
import { type DateOrder, USER_ORDER, monthIndex, parseDate } from "./dates";

export const PRIORITY_KEYS: Record<string, Priority> = { "1": "urgent", "2": "high", "3": "medium", "4": "low" };

export interface QuickPerson {
  user_id: string;
  email: string;
}

export interface QuickLabel {
  id: string;
  name: string;
}

export interface QuickParse {
  title: string;
  due_date: string | null;
  /** The words that gave the date ("dec 24"). */
  dueText: string | null;
  assignee: QuickPerson | null;
  labels: QuickLabel[];
  priority: Priority | null;
  /** Tokens kept in the title, and why ("No label #ops in this workspace"). */
  notes: string[];
}

/** Case and accents ignored, spaces and dashes alike: "Front end" = "#front-end" = "#FRONTEND". */
const fold = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/[\s_-]+/g, "");

function person(token: string, members: QuickPerson[]): QuickPerson | QuickPerson[] {
  const name = token.toLowerCase();
  const exact = members.filter((m) => m.email.toLowerCase() === name || m.email.toLowerCase().split("@")[0] === name);
  if (exact.length === 1) return exact[0];
  const prefixed = members.filter((m) => m.email.toLowerCase().startsWith(name));
  return prefixed.length === 1 ? prefixed[0] : prefixed;
}

/** The longest date that starts at words[i]: "dec 24 2027", "dec 24", "fri". */
function dateAt(words: string[], i: number, today: Date, order: DateOrder): { due: string; length: number } | null {
  for (const length of [3, 2, 1]) {
    if (i + length > words.length) continue;
    const word = words[i];
    // A lone number is a number ("buy 2 pens", "1.5 kg"), not a date; a month needs its day.
    if (length === 1 && (/^\d+([.-]\d+)?$/.test(word) || monthIndex(word) >= 0)) continue;
    const due = parseDate(words.slice(i, i + length).join(" "), today, order);
    if (due) return { due, length };
  }
  return null;
}

export function parseQuickAdd(text: string, context: { today: Date; members: QuickPerson[]; labels: QuickLabel[]; order?: DateOrder }): QuickParse {
  const order = context.order ?? USER_ORDER;
  const words = text.split(/\s+/).filter(Boolean);
  const kept: string[] = [];
  const result: QuickParse = { title: "", due_date: null, dueText: null, assignee: null, labels: [], priority: null, notes: [] };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const priority = /^!([1-4])$/.exec(word);
    if (priority && !result.priority) {
      result.priority = PRIORITY_KEYS[priority[1]];
      continue;
    }
    if (word.length > 1 && word.startsWith("#")) {
      const label = context.labels.find((l) => fold(l.name) === fold(word.slice(1)));
      if (label && !result.labels.includes(label)) {
        result.labels.push(label);
        continue;
      }
      if (!label) result.notes.push(`No label ${word} in this workspace: it stays in the title.`);
    }
    if (word.length > 1 && word.startsWith("@") && !result.assignee) {
      const found = person(word.slice(1), context.members);
      if (!Array.isArray(found)) {
        result.assignee = found;
        continue;
      }
      result.notes.push(found.length ? `${word} fits ${found.length} members: type more of the address.` : `Nobody in this workspace is ${word}: it stays in the title.`);
    }
    const date = result.due_date ? null : dateAt(words, i, context.today, order);
    if (date) {
      result.due_date = date.due;
      result.dueText = words.slice(i, i + date.length).join(" ");
      i += date.length - 1;
      continue;
    }
    kept.push(word);
  }
  result.title = kept.join(" ");
  return result;
}
