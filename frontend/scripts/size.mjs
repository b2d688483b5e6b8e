// The initial JavaScript and CSS: every script, module preload and stylesheet that
// dist/index.html loads, gzipped. Prints the figures and fails above the budgets (45 KB of
// JavaScript, 15 KB of CSS, gzip).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const BUDGET_BYTES = 45 * 1024;
export const CSS_BUDGET_BYTES = 15 * 1024;
const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");

function measure(patterns, what) {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const sources = patterns.flatMap((pattern) => [...html.matchAll(pattern)].map((m) => m[1]));
  if (sources.length === 0) throw new Error(`dist/index.html loads no ${what}`);
  const files = sources.map((src) => {
    const body = readFileSync(join(dist, src.replace(/^\//, "")));
    return { src, bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
  });
  return { files, gzip: files.reduce((n, f) => n + f.gzip, 0) };
}

export function initialJavaScript() {
  return measure([/<script[^>]*\ssrc="([^"]+)"/g, /<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g], "script");
}

export function initialCss() {
  return measure([/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g], "stylesheet");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let ok = true;
  for (const [name, { files, gzip }, budget] of [
    ["Initial JavaScript", initialJavaScript(), BUDGET_BYTES],
    ["CSS", initialCss(), CSS_BUDGET_BYTES],
  ]) {
    for (const f of files) console.log(`  ${f.src}: ${(f.bytes / 1024).toFixed(1)} KB, ${(f.gzip / 1024).toFixed(1)} KB gzip`);
    const within = gzip <= budget;
    ok &&= within;
    console.log(`${name}: ${(gzip / 1024).toFixed(1)} KB gzip (budget ${budget / 1024} KB) ${within ? "OK" : "OVER BUDGET"}`);
  }
  process.exit(ok ? 0 : 1);
}
