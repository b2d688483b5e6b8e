// @mentions in comments: a mention is "@" and a member's email in the text ("@bob@example.com"),
// unambiguous because emails are unique; the comment also sends the ids of the members it
// mentions (the API notifies them). No UI here: the autocomplete is ui/comments/mention-field.tsx.
import type { Member } from "../api/client";

/** The API's limit on mentions per comment. */
export const MAX_MENTIONS = 20;
/** Suggestions shown at once. */
export const MAX_SUGGESTIONS = 8;

// What an email (and so a mention being typed) is made of; anything else ends it.
const EMAIL_CHAR = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]/;

export interface MentionQuery {
  /** Where the "@" is. */
  start: number;
  /** What follows it up to the caret ("bo" in "@bo"). */
  query: string;
}

/** The mention being typed at the caret, if any: an "@" at the start of the text or after
 * a space or an opening bracket, then email characters up to the caret. */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  let start = caret;
  while (start > 0 && EMAIL_CHAR.test(text[start - 1])) start--;
  // The run of email characters must begin with the "@" (not "bob@ex", an email being typed).
  if (text[start] !== "@") return null;
  const before = start > 0 ? text[start - 1] : " ";
  if (!/[\s([{"'“‘]/.test(before)) return null;
  return { start, query: text.slice(start + 1, caret) };
}

/** Members whose email starts with the query, then those whose email contains it. */
export function suggestions(members: Member[], query: string): Member[] {
  const q = query.toLowerCase();
  const starts = members.filter((m) => m.email.toLowerCase().startsWith(q));
  const contains = members.filter((m) => !starts.includes(m) && m.email.toLowerCase().includes(q));
  return [...starts, ...contains].slice(0, MAX_SUGGESTIONS);
}

/** The text with the mention being typed (all of it, also past the caret) replaced by
 * "@email ", and where the caret goes: after the space. */
export function insertMention(text: string, mention: MentionQuery, caret: number, email: string): { text: string; caret: number } {
  let end = caret;
  while (end < text.length && EMAIL_CHAR.test(text[end])) end++;
  const after = text.slice(end);
  const inserted = `@${email}${after.startsWith(" ") ? "" : " "}`;
  return { text: text.slice(0, mention.start) + inserted + after, caret: mention.start + inserted.length + (after.startsWith(" ") ? 1 : 0) };
}

/** Where "@email" stands as a whole mention in the text (not inside a longer address). */
function mentionSpans(text: string, email: string): number[] {
  const found: number[] = [];
  const lower = text.toLowerCase();
  const token = `@${email.toLowerCase()}`;
  for (let at = lower.indexOf(token); at >= 0; at = lower.indexOf(token, at + 1)) {
    const before = at > 0 ? text[at - 1] : " ";
    const next = text[at + token.length] ?? " ";
    // A trailing full stop ends a sentence, not the address.
    const endsHere = !EMAIL_CHAR.test(next) || (/[.!?]/.test(next) && !EMAIL_CHAR.test(text[at + token.length + 1] ?? " "));
    if (!EMAIL_CHAR.test(before) && endsHere) found.push(at);
  }
  return found;
}

/** The members the text mentions, in the order they first appear, at most MAX_MENTIONS. */
export function mentionedMembers(text: string, members: Member[]): Member[] {
  return members
    .map((member) => ({ member, at: mentionSpans(text, member.email)[0] ?? -1 }))
    .filter(({ at }) => at >= 0)
    .sort((a, b) => a.at - b.at)
    .map(({ member }) => member);
}

export type BodyPart = { text: string; mention?: string };

/** A comment's text cut into plain parts and mentions (of these emails), for display. */
export function bodyParts(text: string, emails: string[]): BodyPart[] {
  const spans = emails
    .flatMap((email) => mentionSpans(text, email).map((at) => ({ at, end: at + email.length + 1, email })))
    .sort((a, b) => a.at - b.at || b.end - a.end);
  const parts: BodyPart[] = [];
  let position = 0;
  for (const span of spans) {
    if (span.at < position) continue; // overlapping (a longer email won)
    if (span.at > position) parts.push({ text: text.slice(position, span.at) });
    parts.push({ text: text.slice(span.at, span.end), mention: span.email });
    position = span.end;
  }
  if (position < text.length) parts.push({ text: text.slice(position) });
  return parts;
}
