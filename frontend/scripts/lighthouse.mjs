// Lighthouse (mobile, simulated throttling: its defaults) on the running app with Debian's
// Chromium: the sign-in page and each --public-page (signed out), and, given a user, My tasks
// (where a user lands), the workspaces page and each --page after signing in. Prints performance, accessibility and best practices
// per page and the initial JavaScript and CSS (gzip), and exits non-zero below the budget.
//
//   node scripts/lighthouse.mjs --url http://127.0.0.1:8000 [--email E --password P]
//        [--public-page name=/path ...] [--page name=/path ...] [--out DIR]
// With a user, it audits / (My tasks), /workspaces and each --page after signing in. Each page is audited
// --runs times (default 3) and the median run by performance counts, as Lighthouse CI does:
// one run on a shared 2-core machine varies by a few points.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";
import { BUDGET_BYTES, CSS_BUDGET_BYTES, initialCss, initialJavaScript } from "./size.mjs";

const BUDGET = { performance: 0.95, accessibility: 1.0, "best-practices": 1.0 };

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8000" },
    email: { type: "string" },
    password: { type: "string" },
    out: { type: "string" },
    page: { type: "string", multiple: true, default: [] },
    "public-page": { type: "string", multiple: true, default: [] },
    runs: { type: "string", default: "3" },
  },
});
const base = values.url.replace(/\/$/, "");

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

async function medianRun(page, url, settings) {
  const runs = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const result = await lighthouse(
      url,
      { output: "json", logLevel: "error", onlyCategories: Object.keys(BUDGET), ...settings },
      undefined,
      page,
    );
    if (result.lhr.runtimeError) return result;
    runs.push(result);
  }
  runs.sort((a, b) => a.lhr.categories.performance.score - b.lhr.categories.performance.score);
  const median = runs[Math.floor(runs.length / 2)];
  median.all = runs.map((r) => r.lhr.categories.performance.score);
  return median;
}

async function audit(page, name, url, settings = {}) {
  const result = await medianRun(page, url, settings);
  const { lhr } = result;
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, `${name}.json`), result.report);
  }
  if (lhr.runtimeError) throw new Error(`${name}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  const failures = [];
  const line = Object.entries(BUDGET).map(([id, minimum]) => {
    const score = lhr.categories[id].score;
    if (score === null || score < minimum) {
      failures.push(`${id} ${score} < ${minimum}`);
      for (const ref of lhr.categories[id].auditRefs) {
        const a = lhr.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1) failures.push(`    ${a.id}: ${a.title} (${a.displayValue ?? a.score})`);
      }
    }
    return `${lhr.categories[id].title.toLowerCase()} ${score?.toFixed(2)}`;
  });
  const metrics = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"]
    .map((id) => `${id.replace(/-/g, " ").replace("largest contentful paint", "LCP").replace("first contentful paint", "FCP")} ${lhr.audits[id].displayValue}`)
    .join(", ");
  const spread = result.all && result.all.length > 1 ? ` (median of ${result.all.length} runs; performance ${result.all.map((x) => x.toFixed(2)).join(", ")})` : "";
  console.log(`Lighthouse ${name} (${url}): ${line.join(", ")}${spread}`);
  console.log(`  ${metrics}`);
  return failures.map((f) => `${name}: ${f}`);
}

let failures = [];
try {
  const page = await browser.newPage();
  failures.push(...(await audit(page, "sign-in", `${base}/signin`)));
  for (const [name, path] of values["public-page"].map((p) => p.split("=", 2))) {
    failures.push(...(await audit(page, name, `${base}${path}`)));
  }
  if (values.email && values.password) {
    await page.goto(`${base}/signin`, { waitUntil: "networkidle0" });
    await page.locator("#signin-email").fill(values.email);
    await page.locator("#signin-password").fill(values.password);
    await page.locator("button[type=submit]").click();
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "My tasks", { timeout: 20000 });
    // Same tab, storage kept: the app resumes the session from sessionStorage on load.
    const pages = [["my-tasks", "/"], ["workspaces", "/workspaces"], ...values.page.map((p) => p.split("=", 2))];
    for (const [name, path] of pages) {
      failures.push(...(await audit(page, name, `${base}${path}`, { disableStorageReset: true })));
    }
  }
} finally {
  await browser.close();
}

const { gzip } = initialJavaScript();
console.log(`Initial JavaScript: ${(gzip / 1024).toFixed(1)} KB gzip (budget ${BUDGET_BYTES / 1024} KB)`);
if (gzip > BUDGET_BYTES) failures.push(`initial JavaScript ${gzip} bytes > ${BUDGET_BYTES}`);
const css = initialCss().gzip;
console.log(`CSS: ${(css / 1024).toFixed(1)} KB gzip (budget ${CSS_BUDGET_BYTES / 1024} KB)`);
if (css > CSS_BUDGET_BYTES) failures.push(`CSS ${css} bytes > ${CSS_BUDGET_BYTES}`);
if (failures.length) {
  console.error(`Below budget:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log("Lighthouse budget met.");
