// Dates as the app shows them: due dates (calendar days, `YYYY-MM-DD`) relative to today with the
// exact date beside them, and moments (RFC 3339) in one format everywhere.
import type { Status } from "../api/client";
import { plural } from "./labels";

const DAY_MS = 86_400_000;
/** Due within this many days (today included) counts as "due soon". */
export const DUE_SOON_DAYS = 2;

/** A calendar day as a number of days, so that differences are whole days in any time zone. */
function dayNumber(year: number, month: number, day: number): number {
  return Math.round(Date.UTC(year, month, day) / DAY_MS);
}

function parseDay(value: string): { year: number; month: number; day: number } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return match ? { year: Number(match[1]), month: Number(match[2]) - 1, day: Number(match[3]) } : null;
}

/** Days from today (local) to `due`: 0 today, 1 tomorrow, -3 three days ago; null if not a date. */
export function daysUntil(due: string, now: Date = new Date()): number | null {
  const parsed = parseDay(due);
  if (!parsed) return null;
  return dayNumber(parsed.year, parsed.month, parsed.day) - dayNumber(now.getFullYear(), now.getMonth(), now.getDate());
}

export type DueState = "overdue" | "soon" | "later" | "none";

/** Overdue and due soon only matter for work that is not done. */
export function dueState(due: string | null, status: Status, now: Date = new Date()): DueState {
  const days = due ? daysUntil(due, now) : null;
  if (days === null || status === "done") return "none";
  if (days < 0) return "overdue";
  return days < DUE_SOON_DAYS + 1 ? "soon" : "later";
}


/** "3 days overdue", "Due today", "Due tomorrow", "Due in 5 days", "Due 12 Mar 2027"; for done
 * work the plain distance ("3 days ago"). */
export function relativeDue(due: string, status: Status, now: Date = new Date()): string {
  const days = daysUntil(due, now);
  if (days === null) return due;
  if (status === "done") {
    if (days === 0) return "Due today";
    if (days === -1) return "Due yesterday";
    if (days < 0 && days > -14) return `Due ${plural(-days, "day")} ago`;
  } else if (days < 0) {
    return `${plural(-days, "day")} overdue`;
  }
  if (days === 0) return "Due today";
  if (days === 1) return "Due tomorrow";
  if (days > 1 && days < 14) return `Due in ${days} days`;
  return `Due ${formatDate(due)}`;
}

// One format everywhere, from the user's locale: the day before the month ("1 Mar 2027") or,
// where the locale writes the month first (the United States and a few others), "Mar 1, 2027";
// month names in English like the rest of the app. The order comes from a short table rather than
// Intl: the first Intl.DateTimeFormat of a page costs about 60 ms of ICU start-up on this machine
// (240 ms on a phone-class CPU), which Lighthouse counts as blocking time on every list.
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const two = (n: number) => String(n).padStart(2, "0");

/** How a locale orders a numeric date: 24/12/2026, 12/24/2026 or 2026/12/24. */
export type DateOrder = "dmy" | "mdy" | "ymd";
const MONTH_FIRST = /^(en-(us|as|gu|mp|pr|um|vi|ph|fm|mh|pw)|fil|es-us)\b/i;
const YEAR_FIRST = /^(ja|zh|ko|hu|lt|mn|eu|en-ca|fr-ca|sv|si)\b/i;

export function dateOrder(locale: string): DateOrder {
  if (MONTH_FIRST.test(locale)) return "mdy";
  return YEAR_FIRST.test(locale) ? "ymd" : "dmy";
}

/** The user's order, read once from the browser's language. */
export const USER_ORDER: DateOrder = dateOrder(typeof navigator === "undefined" ? "en-GB" : navigator.language);

function localDate(value: string): Date | null {
  const parsed = parseDay(value);
  return parsed ? new Date(parsed.year, parsed.month, parsed.day) : null;
}

const short = (date: Date, order: DateOrder) => {
  const month = MONTHS[date.getMonth()].slice(0, 3);
  return order === "mdy" ? `${month} ${date.getDate()}, ${date.getFullYear()}` : `${date.getDate()} ${month} ${date.getFullYear()}`;
};

/** A calendar day: "1 Mar 2027" (or "Mar 1, 2027"). */
export function formatDate(value: string, order: DateOrder = USER_ORDER): string {
  const date = localDate(value);
  return date ? short(date, order) : value;
}

/** A calendar day in full, for the hover and focus hint: "Monday 1 March 2027". */
export function formatDateLong(value: string, order: DateOrder = USER_ORDER): string {
  const date = localDate(value);
  if (!date) return value;
  const month = MONTHS[date.getMonth()];
  return order === "mdy"
    ? `${WEEKDAYS[date.getDay()]}, ${month} ${date.getDate()}, ${date.getFullYear()}`
    : `${WEEKDAYS[date.getDay()]} ${date.getDate()} ${month} ${date.getFullYear()}`;
}

/** A moment, in local time: "1 Mar 2027, 14:05". */
export function formatTime(value: string, order: DateOrder = USER_ORDER): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : `${short(date, order)}, ${two(date.getHours())}:${two(date.getMinutes())}`;
}

// -- dates as people type them ---------------------------------------------------------------

const iso = (date: Date) => `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
const addDays = (today: Date, days: number) => new Date(today.getFullYear(), today.getMonth(), today.getDate() + days);

/** A real calendar day (no 31 February), as YYYY-MM-DD, or null. */
function validDay(year: number, month: number, day: number): string | null {
  const date = new Date(year, month, day);
  return date.getFullYear() === year && date.getMonth() === month && date.getDate() === day && year >= 1000 && year <= 9999 ? iso(date) : null;
}

/** "dec", "december", "Dec." -> 11; anything else -> -1. */
export function monthIndex(word: string): number {
  const w = word.toLowerCase().replace(/\.$/, "");
  if (w.length < 3) return -1;
  return MONTHS.findIndex((m) => m.toLowerCase().startsWith(w) && (w.length === 3 || m.toLowerCase() === w || (w === "sept" && m === "September")));
}

/** "fri", "friday" -> 5; anything else -> -1. */
export function weekdayIndex(word: string): number {
  const w = word.toLowerCase().replace(/\.$/, "");
  if (w.length < 3) return -1;
  return WEEKDAYS.findIndex((d) => d.toLowerCase() === w || (d.toLowerCase().startsWith(w) && (w.length === 3 || w === "tues" || w === "thur" || w === "thurs")));
}

/** A day and month without a year: the next time it comes, today included. */
function nextOccurrence(today: Date, month: number, day: number): string | null {
  const thisYear = validDay(today.getFullYear(), month, day);
  if (thisYear && thisYear >= iso(today)) return thisYear;
  return validDay(today.getFullYear() + 1, month, day) ?? thisYear;
}

const WORDS: Record<string, number> = { today: 0, tod: 0, tomorrow: 1, tmr: 1, tmrw: 1, yesterday: -1 };

/** A due date as someone types it, relative to `today` (local): "tomorrow", "fri" (the next
 * Friday, never today), "dec 24", "24 dec", "24 December 2027", "2026-12-24", and numeric
 * dates in the locale's order ("24/12/2026" where the day comes first, "12/24" in the United
 * States). Returns YYYY-MM-DD, or null for anything else (and for days that do not exist). */
export function parseDate(text: string, today: Date, order: DateOrder = USER_ORDER): string | null {
  const t = text.trim().toLowerCase().replace(/,/g, " ").replace(/\s+/g, " ");
  if (!t) return null;
  if (t in WORDS) return iso(addDays(today, WORDS[t]));
  const weekday = weekdayIndex(t.replace(/^next /, ""));
  if (weekday >= 0) return iso(addDays(today, ((weekday - today.getDay() + 6) % 7) + 1));
  const isoMatch = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (isoMatch) return validDay(Number(isoMatch[1]), Number(isoMatch[2]) - 1, Number(isoMatch[3]));
  const words = t.split(" ");
  if (words.length === 2 || words.length === 3) {
    const year = words.length === 3 && /^\d{4}$/.test(words[2]) ? Number(words[2]) : null;
    if (words.length === 3 && year === null) return null;
    const [a, b] = words;
    let month = -1;
    let day = NaN;
    if (/^\d{1,2}(st|nd|rd|th)?$/.test(a) && monthIndex(b) >= 0) [month, day] = [monthIndex(b), parseInt(a, 10)];
    else if (monthIndex(a) >= 0 && /^\d{1,2}(st|nd|rd|th)?$/.test(b)) [month, day] = [monthIndex(a), parseInt(b, 10)];
    if (month < 0) return null;
    return year === null ? nextOccurrence(today, month, day) : validDay(year, month, day);
  }
  const numeric = /^(\d{1,4})[/.-](\d{1,2})(?:[/.-](\d{1,4}))?$/.exec(t);
  if (!numeric) return null;
  const [first, second, third] = [numeric[1], numeric[2], numeric[3]];
  if (order === "ymd" || first.length === 4) {
    if (!third) return null;
    return validDay(Number(first), Number(second) - 1, Number(third));
  }
  const [day, month] = order === "mdy" ? [Number(second), Number(first)] : [Number(first), Number(second)];
  if (third === undefined) return nextOccurrence(today, month - 1, day);
  const year = third.length === 2 ? 2000 + Number(third) : Number(third);
  return third.length === 2 || third.length === 4 ? validDay(year, month - 1, day) : null;
}
