import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api } from "../api/client";
import type { Auth, User } from "../cognito/auth";

export interface AppServices {
  api: Api;
  auth: Auth;
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
