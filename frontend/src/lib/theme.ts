// Light or dark: the system's setting unless the user chose one (kept in localStorage: a
// preference, not a secret). The stylesheet does the rest with `color-scheme` and light-dark().
export type Theme = "system" | "light" | "dark";

const KEY = "teamtasks.theme";
export const THEMES: Theme[] = ["system", "light", "dark"];

export function savedTheme(): Theme {
  try {
    const value = localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
}

export function chooseTheme(theme: Theme): void {
  try {
    if (theme === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
  applyTheme(theme);
}
