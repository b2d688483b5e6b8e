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

// One format everywhere, in English like the rest of the app: "1 Mar 2027", "Monday 1 March
// 2027", "1 Mar 2027, 14:05" (local time). Written out here rather than with Intl: the first
// Intl.DateTimeFormat of a page costs about 60 ms of ICU start-up on this machine (240 ms on a
// phone-class CPU), which Lighthouse counts as blocking time on every list.
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const two = (n: number) => String(n).padStart(2, "0");

function localDate(value: string): Date | null {
  const parsed = parseDay(value);
  return parsed ? new Date(parsed.year, parsed.month, parsed.day) : null;
}

const short = (date: Date) => `${date.getDate()} ${MONTHS[date.getMonth()].slice(0, 3)} ${date.getFullYear()}`;

/** A calendar day: "1 Mar 2027". */
export function formatDate(value: string): string {
  const date = localDate(value);
  return date ? short(date) : value;
}

/** A calendar day in full, for the hover and focus hint: "Monday 1 March 2027". */
export function formatDateLong(value: string): string {
  const date = localDate(value);
  return date ? `${WEEKDAYS[date.getDay()]} ${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}` : value;
}

/** A moment, in local time: "1 Mar 2027, 14:05". */
export function formatTime(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : `${short(date)}, ${two(date.getHours())}:${two(date.getMinutes())}`;
}
