import { render } from "preact";
import "./styles.css";
import { Api } from "./api/client";
import { Auth } from "./cognito/auth";
import { CognitoClient } from "./cognito/client";
import { BrowserPeers } from "./cognito/tabs";
import { loadConfig } from "./config";
import { Drafts } from "./lib/drafts";
import { applyTheme, savedTheme } from "./lib/theme";
import { App, reportUnexpected } from "./ui/App";

// Before anything renders: the theme the user chose (the stylesheet follows the system's).
applyTheme(savedTheme());

async function start(root: HTMLElement): Promise<void> {
  const config = await loadConfig();
  const cognito = new CognitoClient(config.region, config.cognitoEndpoint, config.userPoolClientId);
  const auth = new Auth(cognito, config.userPoolId, window.sessionStorage, Date.now, new BrowserPeers());
  const api = new Api(config.apiBaseUrl, auth);
  const drafts = new Drafts(window.sessionStorage, () => (auth.current.status === "signedIn" ? auth.current.user.sub : null));
  window.addEventListener("unhandledrejection", (event) => reportUnexpected(event.reason));
  window.addEventListener("error", (event) => reportUnexpected(event.error ?? event.message));
  root.textContent = "";
  render(<App api={api} auth={auth} drafts={drafts} />, root);
  await auth.restore();
}

const root = document.getElementById("app")!;
start(root).catch((error: unknown) => {
  // Without configuration there is no app; say so plainly (no inline markup, CSP-safe).
  const message = document.createElement("p");
  message.setAttribute("role", "alert");
  message.className = "alert";
  message.textContent = error instanceof Error ? error.message : String(error);
  root.replaceChildren(message);
});
