// What the app calls things: statuses, roles, task fields. One place, so "owner" is never
// "Owner" elsewhere and `in_progress` never reaches the screen.
import type { LabelColor, Priority, Role, Status } from "../api/client";

export const STATUS_LABEL: Record<Status, string> = { todo: "To do", in_progress: "In progress", done: "Done" };
export const STATUSES = Object.keys(STATUS_LABEL) as Status[];

/** Highest first, as `sort=-priority` orders them. */
export const PRIORITY_LABEL: Record<Priority, string> = { urgent: "Urgent", high: "High", medium: "Medium", low: "Low", none: "No priority" };
export const PRIORITIES = Object.keys(PRIORITY_LABEL) as Priority[];

export const LABEL_COLORS: LabelColor[] = ["gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown"];
export const COLOR_LABEL: Record<LabelColor, string> = {
  gray: "Grey", red: "Red", orange: "Orange", yellow: "Yellow", green: "Green", teal: "Teal", blue: "Blue", purple: "Purple", pink: "Pink", brown: "Brown",
};
/** The API's limits on labels. */
export const LABEL_LIMITS = { name: 40, perTask: 10 } as const;

/** A set filter in the URL (`status=todo,in_progress`): the known values, in their order. */
export function readSet<T extends string>(value: string | null, known: readonly T[]): T[] {
  const given = new Set((value ?? "").split(","));
  return known.filter((v) => given.has(v));
}

export const ROLES: Role[] = ["owner", "admin", "member", "viewer"];
export const ROLE_LABEL: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member", viewer: "Viewer" };
const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function atLeast(role: Role | undefined, minimum: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[minimum];
}

/** The roles that `caller` may give to, or take from, someone. */
export function assignableRoles(caller: Role | undefined): Role[] {
  if (caller === "owner") return ROLES;
  if (caller === "admin") return ["member", "viewer"];
  return [];
}

/** The fields of tasks, workspaces and members, as forms and the audit log name them. */
export const FIELD_LABEL: Record<string, string> = {
  title: "Title",
  description: "Description",
  status: "Status",
  due_date: "Due date",
  assignee_id: "Assignee",
  name: "Name",
  email: "Email",
  role: "Role",
  user_id: "Person",
  created_by: "Created by",
  body: "Comment",
  mentions: "Mentions",
  priority: "Priority",
  labels: "Labels",
  color: "Colour",
};

export const fieldLabel = (field: string) => FIELD_LABEL[field] ?? field.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

/** The limits of the API's fields (API.md), checked in the form before anything is sent. */
export const LIMITS = { title: 200, description: 10_000, workspaceName: 100 } as const;

/** 10000 -> "10,000" (without Intl, whose first use costs a start-up; see dates.ts). */
export const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ",");

export const plural = (n: number, one: string, many = `${one}s`) => `${thousands(n)} ${n === 1 ? one : many}`;
