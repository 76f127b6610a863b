#!/usr/bin/env node
// Self-test of the browser test: runs run.mjs against mock_api.mjs in each mode and checks that
// it passes when the app works and fails, naming the step, when it does not.
//   cd frontend && npm run build && node ../tests/e2e/browser/selftest.mjs   (= npm run test:browser:mock)
// Screenshots go to $SCREENSHOT_DIR/<case>/ (default reports/e2e/browser-selftest/<case>/).
// Prints one line per case and "N passed, N failed"; exits non-zero if any case did not behave.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_DIST, startMock } from "./mock_api.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../../..");
const OUT = path.resolve(process.env.SCREENSHOT_DIR ?? path.join(REPO, "reports", "e2e", "browser-selftest"));

const CASES = [
  { name: "passes when everything works", mode: "ok", env: { AL_WAIT: "result" }, exit: 0, out: ["browser test passed"], shots: 7 },
  { name: "fails at log in", mode: "login-fails", exit: 1, err: ["FAILED at step 'log in'", "Invalid username or password"] },
  { name: "fails to start a job", mode: "start-fails", exit: 1, err: ["FAILED at step 'start image job'", "Could not start the task"] },
  { name: "fails when the job fails", mode: "job-fails", exit: 1, err: ["FAILED at step 'image job result'", "does not point to an image"] },
  { name: "fails when no result comes", mode: "stuck", env: { JOB_TIMEOUT_MS: "5000" }, exit: 1, err: ["FAILED at step 'image job result'", "not seen within 5 s"] },
  { name: "fails when the result is not shown", mode: "no-outputs", env: { STEP_TIMEOUT_MS: "4000" }, exit: 1, err: ["FAILED at step 'image job result'", "shows no loaded annotated overlay image"] },
  { name: "refuses to run without its env", mode: "ok", env: { ATELIER_PASSWORD: "" }, exit: 2, err: ["missing environment variable(s): ATELIER_PASSWORD"] },
];

function runBrowserTest(env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(HERE, "run.mjs")], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

if (!fs.existsSync(path.join(DEFAULT_DIST, "index.html"))) {
  console.error(`frontend/dist is not built: run \`npm run build\` in frontend/ first`);
  process.exit(2);
}

let passed = 0;
let failed = 0;
for (const c of CASES) {
  const slug = c.mode + (c.exit === 2 ? "-usage" : "");
  const dir = path.join(OUT, slug);
  fs.rmSync(dir, { recursive: true, force: true });
  const mock = await startMock({ mode: c.mode, speed: 400 });
  const started = Date.now();
  let result;
  try {
    result = await runBrowserTest({
      FRONTEND_URL: mock.frontendUrl,
      ATELIER_USERNAME: mock.username,
      ATELIER_PASSWORD: mock.password,
      IMAGE_LINK: "s3://atelier-local-inputs/samples/digits.png",
      SCREENSHOT_DIR: dir,
      STEP_TIMEOUT_MS: "15000",
      ...c.env,
    });
  } finally {
    await mock.close();
  }
  const problems = [];
  if (result.code !== c.exit) problems.push(`exit code ${result.code}, expected ${c.exit}`);
  for (const text of c.out ?? []) if (!result.stdout.includes(text)) problems.push(`stdout lacks "${text}"`);
  for (const text of c.err ?? []) if (!result.stderr.includes(text)) problems.push(`stderr lacks "${text}"`);
  if (c.shots) {
    const shots = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^\d\d-.*\.png$/.test(f)) : [];
    if (shots.length !== c.shots) problems.push(`${shots.length} step screenshots, expected ${c.shots}`);
  }
  if (c.exit === 1 && !(fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.startsWith("failed-")))) {
    problems.push("no failed-<step>.png screenshot");
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const said = (result.stderr.trim().split("\n").pop() || result.stdout.trim().split("\n").pop() || "").slice(0, 160);
  if (problems.length) {
    failed += 1;
    console.log(`FAIL  ${c.name} [mode ${c.mode}] (${seconds} s): ${problems.join("; ")}`);
    console.log(`      stdout:\n${result.stdout.replace(/^/gm, "        ")}\n      stderr:\n${result.stderr.replace(/^/gm, "        ")}`);
  } else {
    passed += 1;
    console.log(`ok    ${c.name} [mode ${c.mode}] (${seconds} s): ${said}`);
  }
}
console.log(`screenshots in ${OUT}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
