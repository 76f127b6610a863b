import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Static build: relative asset paths so dist/ works from any bucket prefix or CDN path.
// The API URL is NOT baked in here: the app fetches ./config.json at run time.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, emptyOutDir: true },
  test: {
    environment: "happy-dom",
    globals: true,
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
