/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Static files with content-hashed names under /assets/; index.html is the only entry.
// No inline script or style anywhere, so the app runs under `script-src 'self'; style-src 'self'`.
export default defineConfig({
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
