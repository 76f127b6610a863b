#!/usr/bin/env node
/**
 * Atelier browser test: drives the deployed frontend in Debian's Chromium with playwright-core.
 *
 * ENV CONTRACT
 *   FRONTEND_URL       required  page to open, e.g. http://atelier-local-frontend.s3-website.localhost:4566/
 *                                (the page reads its API URL from config.json beside index.html)
 *   ATELIER_USERNAME   required  user to log in as
 *   ATELIER_PASSWORD   required  its password
 *   IMAGE_LINK         required  s3:// or http(s):// link to an image the image pipeline can read
 *   SCREENSHOT_DIR     optional  where screenshots, browser.log and result.json go
 *                                (default reports/e2e/screenshots under the repository root)
 *   RECORD_ID          optional  structured-data record id (default 1789)
 *   AL_IDS             optional  active-learning dataset ids, comma separated (default 1914,1918,1939)
 *   AL_WAIT            optional  "progress" (default): wait until the AL job leaves PENDING;
 *                                "result": wait until it SUCCEEDED and show the curve and ids
 *   STEP_TIMEOUT_MS    optional  per UI step (default 30000)
 *   JOB_TIMEOUT_MS     optional  for the image job (and AL with AL_WAIT=result) (default 300000)
 *   CHROMIUM_PATH      optional  default /usr/bin/chromium (apt-get install chromium); never downloaded
 *
 * STEPS (each saves <n>-<step>.png; a failure saves failed-<step>.png):
 *   open page · log in · structured prediction · start image job · start active learning ·
 *   image job result · active learning progress
 * Both jobs are started before either is awaited, so they run at the same time; each result
 * step first selects its job in the jobs list ("Show job <id>"), as a user would.
 *
 * EXIT: 0 all steps passed; 1 a step failed (stderr: "FAILED at step '<step>': <why>");
 *       2 bad usage (missing env, no Chromium, playwright-core not installed).
 * result.json in SCREENSHOT_DIR lists each step with its status, seconds and screenshot.
 *
 * playwright-core comes from frontend/node_modules (`cd frontend && npm ci`).
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../../..");

class StepFailure extends Error {}
class UsageError extends Error {}

function loadPlaywright() {
  for (const base of [import.meta.url, path.join(REPO, "frontend", "package.json")]) {
    try {
      return createRequire(base)("playwright-core");
    } catch {
      /* try the next place */
    }
  }
  throw new UsageError("playwright-core is not installed: run `npm ci` in frontend/");
}

function readEnv(env = process.env) {
  const missing = ["FRONTEND_URL", "ATELIER_USERNAME", "ATELIER_PASSWORD", "IMAGE_LINK"].filter((k) => !env[k]);
  if (missing.length) throw new UsageError(`missing environment variable(s): ${missing.join(", ")}`);
  const alWait = env.AL_WAIT ?? "progress";
  if (!["progress", "result"].includes(alWait)) throw new UsageError(`AL_WAIT must be "progress" or "result", got ${alWait}`);
  return {
    frontendUrl: env.FRONTEND_URL,
    username: env.ATELIER_USERNAME,
    password: env.ATELIER_PASSWORD,
    imageLink: env.IMAGE_LINK,
    screenshotDir: path.resolve(env.SCREENSHOT_DIR ?? path.join(REPO, "reports", "e2e", "screenshots")),
    recordId: env.RECORD_ID ?? "1789",
    alIds: env.AL_IDS ?? "1914,1918,1939",
    alWait,
    stepTimeout: Number(env.STEP_TIMEOUT_MS ?? 30_000),
    jobTimeout: Number(env.JOB_TIMEOUT_MS ?? 300_000),
    chromiumPath: env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  };
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Wait until `probe()` returns a truthy value; `probe` may throw StepFailure to stop early. */
async function waitFor(probe, timeoutMs, what, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (err) {
      if (err instanceof StepFailure) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new StepFailure(`${what}: not seen within ${Math.round(timeoutMs / 1000)} s`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Text of visible alerts inside `scope` (the page shows API errors as role=alert). */
async function alerts(scope) {
  const texts = await scope.getByRole("alert").allInnerTexts();
  return texts.map((t) => t.trim()).filter(Boolean);
}

async function jobDetails(page, title) {
  const details = page.getByRole("region", { name: title });
  await details.waitFor({ state: "visible", timeout: 1000 });
  // Read status, round and id in one go so they describe the same render.
  const snapshot = await details.evaluate((el) => ({
    status: el.querySelector("[data-status]")?.getAttribute("data-status") ?? null,
    round: el.querySelector("progress")?.getAttribute("value") ?? null,
    jobId: el.querySelector("dd.mono")?.textContent?.trim() ?? "",
  }));
  return { details, ...snapshot };
}

/** Select a job in the jobs list (its details replace the ones shown). */
async function showJob(page, jobId) {
  const button = page.getByRole("table", { name: "Jobs" }).getByRole("button", { name: `Show job ${jobId.slice(0, 8)}` });
  await button.click();
  await waitFor(async () => (await button.getAttribute("aria-pressed")) === "true", 5000, `job ${jobId} selected in the jobs list`);
}

export async function main(env = process.env, log = console.log) {
  const cfg = readEnv(env);
  if (!fs.existsSync(cfg.chromiumPath)) {
    throw new UsageError(`no Chromium at ${cfg.chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  const { chromium } = loadPlaywright();
  fs.mkdirSync(cfg.screenshotDir, { recursive: true });
  const browserLog = fs.createWriteStream(path.join(cfg.screenshotDir, "browser.log"));
  const results = [];
  let page;
  let stepNo = 0;

  async function step(name, fn) {
    stepNo += 1;
    const slug = name.replace(/\W+/g, "-");
    const started = Date.now();
    log(`… ${name}`);
    try {
      const detail = await fn();
      const shot = `${String(stepNo).padStart(2, "0")}-${slug}.png`;
      await page.screenshot({ path: path.join(cfg.screenshotDir, shot), fullPage: true });
      const seconds = (Date.now() - started) / 1000;
      results.push({ step: name, status: "passed", seconds, screenshot: shot, detail: detail ?? null });
      log(`✓ ${name} (${seconds.toFixed(1)} s)${detail ? ` ${detail}` : ""}`);
    } catch (err) {
      const shot = `failed-${slug}.png`;
      await page?.screenshot({ path: path.join(cfg.screenshotDir, shot), fullPage: true }).catch(() => {});
      const seconds = (Date.now() - started) / 1000;
      const why = err instanceof StepFailure ? err.message : `${err.name}: ${err.message.split("\n")[0]}`;
      results.push({ step: name, status: "failed", seconds, screenshot: shot, error: why });
      throw new StepFailure(`FAILED at step '${name}': ${why} (screenshot ${path.join(cfg.screenshotDir, shot)})`);
    }
  }

  const browser = await chromium.launch({ executablePath: cfg.chromiumPath, headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(cfg.stepTimeout);
    page.on("console", (m) => browserLog.write(`[console.${m.type()}] ${m.text()}\n`));
    page.on("pageerror", (e) => browserLog.write(`[pageerror] ${e.message}\n`));
    page.on("requestfailed", (r) => browserLog.write(`[requestfailed] ${r.method()} ${r.url()} ${r.failure()?.errorText}\n`));
    page.on("response", (r) => r.status() >= 400 && browserLog.write(`[http ${r.status()}] ${r.request().method()} ${r.url()}\n`));

    await step("open page", async () => {
      const response = await page.goto(cfg.frontendUrl, { waitUntil: "domcontentloaded" });
      if (!response || !response.ok()) throw new StepFailure(`${cfg.frontendUrl} answered HTTP ${response?.status()}`);
      await waitFor(async () => {
        const problems = await alerts(page);
        if (problems.length) throw new StepFailure(`the page shows: ${problems.join(" | ")}`);
        return page.getByRole("button", { name: "Log in" }).isVisible();
      }, cfg.stepTimeout, "the login form");
    });

    await step("log in", async () => {
      await page.getByLabel("Username").fill(cfg.username);
      await page.getByLabel("Password").fill(cfg.password);
      await page.getByRole("button", { name: "Log in" }).click();
      await waitFor(async () => {
        if (await page.getByRole("heading", { name: "Structured data" }).isVisible()) return true;
        const problems = await alerts(page);
        if (problems.length) throw new StepFailure(`login refused: ${problems.join(" | ")}`);
        return false;
      }, cfg.stepTimeout, "the dashboard after logging in");
      return `as ${cfg.username}`;
    });

    await step("structured prediction", async () => {
      const card = page.getByRole("region", { name: "Structured data" });
      await card.getByLabel("Record id").fill(cfg.recordId);
      await card.getByRole("button", { name: "Predict" }).click();
      return waitFor(async () => {
        const result = card.getByRole("region", { name: "Prediction result" });
        if (await result.isVisible()) {
          const value = await result.getByLabel("Predicted value").innerText().catch(() => "(shown)");
          return `record ${cfg.recordId}: ${value}`;
        }
        const problems = await alerts(card);
        if (problems.length) throw new StepFailure(problems.join(" | "));
        return false;
      }, cfg.stepTimeout, "the prediction");
    });

    let imageJobId;
    await step("start image job", async () => {
      const card = page.getByRole("region", { name: "Images" });
      await card.getByLabel("Image link").fill(cfg.imageLink);
      await card.getByRole("button", { name: "Start image job" }).click();
      const job = await waitFor(async () => {
        const problems = await alerts(card);
        if (problems.length) throw new StepFailure(problems.join(" | "));
        return jobDetails(page, /Images job/);
      }, cfg.stepTimeout, "the new image job");
      imageJobId = job.jobId;
      return `job ${job.jobId} ${job.status}`;
    });

    let alJobId;
    await step("start active learning", async () => {
      const card = page.getByRole("region", { name: "Active learning" });
      await card.getByLabel("Dataset ids").fill(cfg.alIds);
      await card.getByRole("button", { name: "Start active learning" }).click();
      const job = await waitFor(async () => {
        const problems = await alerts(card);
        if (problems.length) throw new StepFailure(problems.join(" | "));
        return jobDetails(page, /Active learning job/);
      }, cfg.stepTimeout, "the new active-learning job");
      alJobId = job.jobId;
      return `job ${job.jobId} ${job.status}`;
    });

    await step("image job result", async () => {
      await showJob(page, imageJobId);
      const seen = new Set();
      const job = await waitFor(async () => {
        const current = await jobDetails(page, /Images job/);
        seen.add(current.status);
        if (current.status === "FAILED") {
          throw new StepFailure(`job ${imageJobId} FAILED: ${(await alerts(current.details)).join(" | ")}`);
        }
        return current.status === "SUCCEEDED" ? current : false;
      }, cfg.jobTimeout, `image job ${imageJobId} reaching SUCCEEDED`, 1000);
      const overlay = job.details.getByRole("img", { name: "Annotated overlay" });
      await waitFor(
        async () => (await overlay.count()) > 0 && overlay.evaluate((img) => img.complete && img.naturalWidth > 0),
        cfg.stepTimeout,
        `job ${imageJobId} SUCCEEDED but the page shows no loaded annotated overlay image`,
      );
      const rows = job.details.getByRole("table", { name: "Detections" }).locator("tbody tr");
      await waitFor(async () => (await rows.count()) > 0, cfg.stepTimeout, `job ${imageJobId} SUCCEEDED but the page shows no detections table rows`);
      await overlay.scrollIntoViewIfNeeded();
      return `statuses ${[...seen].join(" → ")}; ${await rows.count()} detections`;
    });

    await step("active learning progress", async () => {
      await showJob(page, alJobId);
      const seen = [];
      const timeout = cfg.alWait === "result" ? cfg.jobTimeout : Math.max(cfg.stepTimeout, 120_000);
      await waitFor(async () => {
        const current = await jobDetails(page, /Active learning job/);
        const label = current.round ? `${current.status} (round ${current.round})` : current.status;
        if (seen[seen.length - 1] !== label) seen.push(label);
        if (current.status === "FAILED") {
          throw new StepFailure(`job ${alJobId} FAILED: ${(await alerts(current.details)).join(" | ")}`);
        }
        if (cfg.alWait === "result") return current.status === "SUCCEEDED";
        return current.status === "RUNNING" || current.status === "SUCCEEDED";
      }, timeout, `active-learning job ${alJobId} ${cfg.alWait === "result" ? "reaching SUCCEEDED" : "leaving PENDING"}`, 500);
      if (cfg.alWait === "result") {
        const details = page.getByRole("region", { name: /Active learning job/ });
        const curve = details.getByRole("img", { name: /Learning curve|Active-learning curve plot/ });
        await waitFor(async () => (await curve.count()) > 0, cfg.stepTimeout, `job ${alJobId} SUCCEEDED but the page shows no learning curve`);
        const ids = details.getByRole("list", { name: "Ids to label next" }).getByRole("listitem");
        await waitFor(async () => (await ids.count()) > 0, cfg.stepTimeout, `job ${alJobId} SUCCEEDED but the page shows no ids to label next`);
      }
      return `statuses ${seen.join(" → ")}`;
    });
  } finally {
    fs.writeFileSync(path.join(cfg.screenshotDir, "result.json"), JSON.stringify({ frontendUrl: cfg.frontendUrl, steps: results }, null, 2));
    browserLog.end();
    await browser.close();
  }
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main()
    .then(() => {
      console.log("browser test passed");
      process.exit(0);
    })
    .catch((err) => {
      if (err instanceof UsageError) {
        console.error(`browser test not run: ${err.message}`);
        process.exit(2);
      }
      console.error(err instanceof StepFailure ? err.message : `browser test crashed: ${err.stack}`);
      process.exit(1);
    });
}
