// The initial JavaScript: every script and module preload that dist/index.html loads, gzipped.
// Prints the figure and fails above the budget (80 KB gzip).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const BUDGET_BYTES = 80 * 1024;
const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");

export function initialJavaScript() {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const sources = [
    ...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
  ].map((m) => m[1]);
  if (sources.length === 0) throw new Error("dist/index.html loads no script");
  const files = sources.map((src) => {
    const body = readFileSync(join(dist, src.replace(/^\//, "")));
    return { src, bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
  });
  return { files, gzip: files.reduce((n, f) => n + f.gzip, 0) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, gzip } = initialJavaScript();
  for (const f of files) console.log(`  ${f.src}: ${(f.bytes / 1024).toFixed(1)} KB, ${(f.gzip / 1024).toFixed(1)} KB gzip`);
  const ok = gzip <= BUDGET_BYTES;
  console.log(`Initial JavaScript: ${(gzip / 1024).toFixed(1)} KB gzip (budget ${BUDGET_BYTES / 1024} KB) ${ok ? "OK" : "OVER BUDGET"}`);
  process.exit(ok ? 0 : 1);
}
