// A workspace with its members: what every page of a workspace needs (names for user ids,
// the caller's role). Refreshed when the changes feed reports a change to the workspace or its
// members, with a conditional GET for the workspace (a 304 costs no body).
import { useRef } from "preact/hooks";
import type { Member, Workspace } from "../../api/client";
import { touches } from "../../lib/changes";
import { useLoad } from "../hooks";
import { useServices } from "../context";
import { useChanges } from "./live";

export interface WorkspaceData {
  workspace: Workspace;
  etag: string;
  members: Member[];
  /** The members could not be read: the rest of the page still works, and says so. */
  membersError: unknown;
}

export function useWorkspace(id: string) {
  const { api, user } = useServices();
  // The caller's own role is in the workspace's representation but not in its version (ETag):
  // when it changes, only a full read shows it.
  const roleChanged = useRef(false);
  const loaded = useLoad(
    async (previous: WorkspaceData | null): Promise<WorkspaceData> => {
      const conditional = previous && !roleChanged.current;
      roleChanged.current = false;
      const [workspace, members] = await Promise.all([
        conditional ? api.workspaceIfChanged(id, previous.etag) : api.workspace(id),
        api.members(id).then(
          (list) => ({ list, error: null as unknown }),
          (error: unknown) => ({ list: previous?.members ?? [], error }),
        ),
      ]);
      const { data, etag } = workspace ?? { data: previous!.workspace, etag: previous!.etag };
      return { workspace: data, etag, members: members.list, membersError: members.error };
    },
    [id],
  );
  useChanges(id, (changes, resync) => {
    if (user && touches(changes, "member", user.sub)) roleChanged.current = true;
    if (resync || touches(changes, "workspace") || touches(changes, "member")) loaded.refresh();
  });
  return loaded;
}

export const FORMER_MEMBER = "Former member";

/** A person's name as the app shows it: their email, "Nobody", or "Former member" for someone
 * who has left the workspace (their tasks keep the id; it means nothing to a reader). */
export function memberName(members: Member[], userId: string | null, known?: Map<string, string>): string {
  if (!userId) return "Nobody";
  return members.find((m) => m.user_id === userId)?.email ?? known?.get(userId) ?? FORMER_MEMBER;
}
