// A workspace with its members: what every page of a workspace needs (names for user ids,
// the caller's role). Refreshed with a conditional GET: a 304 costs no body.
import type { Member, Workspace } from "../../api/client";
import { useLoad } from "../hooks";
import { useServices } from "../context";

export interface WorkspaceData {
  workspace: Workspace;
  etag: string;
  members: Member[];
  /** The members could not be read: the rest of the page still works, and says so. */
  membersError: unknown;
}

export function useWorkspace(id: string) {
  const { api } = useServices();
  return useLoad(
    async (previous: WorkspaceData | null): Promise<WorkspaceData> => {
      const [workspace, members] = await Promise.all([
        previous ? api.workspaceIfChanged(id, previous.etag) : api.workspace(id),
        api.members(id).then(
          (list) => ({ list, error: null as unknown }),
          (error: unknown) => ({ list: previous?.members ?? [], error }),
        ),
      ]);
      const { data, etag } = workspace ?? { data: previous!.workspace, etag: previous!.etag };
      return { workspace: data, etag, members: members.list, membersError: members.error };
    },
    [id],
    { fresh: true },
  );
}

export const FORMER_MEMBER = "Former member";

/** A person's name as the app shows it: their email, "Nobody", or "Former member" for someone
 * who has left the workspace (their tasks keep the id; it means nothing to a reader). */
export function memberName(members: Member[], userId: string | null, known?: Map<string, string>): string {
  if (!userId) return "Nobody";
  return members.find((m) => m.user_id === userId)?.email ?? known?.get(userId) ?? FORMER_MEMBER;
}
