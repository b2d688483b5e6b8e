import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import type { Api } from "../api/client";
import type { Auth, User } from "../cognito/auth";
import type { Drafts } from "../lib/drafts";

export interface AppServices {
  api: Api;
  auth: Auth;
  drafts: Drafts;
  user: User | null;
  /** A one-time message for the next page (e.g. "Account confirmed"). */
  flash: { message: string | null };
}

export const Services = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(Services);
  if (!services) throw new Error("no services");
  return services;
}

/** Takes the flash message, once. */
export function takeFlash(services: AppServices): string | null {
  const message = services.flash.message;
  services.flash.message = null;
  return message;
}

/** Whether a task has unsaved edits (re-renders when drafts come and go). */
export function useHasDraft(): (taskId: string) => boolean {
  const { drafts } = useServices();
  const [, setVersion] = useState(0);
  useEffect(() => drafts.subscribe(() => setVersion((n) => n + 1)), [drafts]);
  return (taskId) => drafts.has(taskId);
}
