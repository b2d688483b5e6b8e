// What the app calls things: statuses, roles, task fields. One place, so "owner" is never
// "Owner" elsewhere and `in_progress` never reaches the screen.
import type { Role, Status } from "../api/client";

export const STATUS_LABEL: Record<Status, string> = { todo: "To do", in_progress: "In progress", done: "Done" };
export const STATUSES = Object.keys(STATUS_LABEL) as Status[];

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
};

export const fieldLabel = (field: string) => FIELD_LABEL[field] ?? field.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

/** The limits of the API's fields (API.md), checked in the form before anything is sent. */
export const LIMITS = { title: 200, description: 10_000, workspaceName: 100 } as const;

/** 10000 -> "10,000" (without Intl, whose first use costs a start-up; see dates.ts). */
export const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ",");

export const plural = (n: number, one: string, many = `${one}s`) => `${thousands(n)} ${n === 1 ? one : many}`;
