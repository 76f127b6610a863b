#!/usr/bin/env node
// Mock of the Atelier API (DESIGN.md §5) and of the frontend bucket, for developing the
// frontend and for self-testing the browser test (run.mjs) before the real runtime exists.
//
// Two servers, two origins, as in a deployment (S3 website vs API Gateway), so CORS is real:
//   frontend  http://127.0.0.1:<frontendPort>/      frontend/dist + a generated config.json
//   API       http://127.0.0.1:<apiPort>/            /auth, /structured_data, /non_structured_data_images,
//                                                   /non_structured_al_data_images, /jobs/{id}, /uploads
//             http://127.0.0.1:<apiPort>/_s3/...     fake S3: job outputs (PNG, JSON) and presigned uploads
//
// Modes (MOCK_MODE or --mode), each one a failure the browser test must report:
//   ok           everything works; jobs go PENDING -> RUNNING (AL: round k of n) -> SUCCEEDED
//   login-fails  POST /auth always answers 401 {"message": "Invalid username or password"}
//   start-fails  job-starting routes answer 500 {"message": "Could not start the task: ..."}
//   job-fails    the image job ends FAILED with an error message
//   stuck        jobs stay RUNNING forever
//   no-outputs   jobs SUCCEED with empty outputs (the page has no result to show)
//
// CLI: node mock_api.mjs [--mode ok] [--frontend-port 5180] [--api-port 5181] [--uploads]
//   credentials: MOCK_USERNAME / MOCK_PASSWORD (default demo / demo-password)
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { curvePng, overlayPng } from "./png.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_DIST = path.resolve(HERE, "../../../frontend/dist");
export const MODES = ["ok", "login-fails", "start-fails", "job-fails", "stuck", "no-outputs"];

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json",
};

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "Authorization,Content-Type,Idempotency-Key",
  "Access-Control-Allow-Methods": "GET,POST,PUT,OPTIONS",
  "Access-Control-Max-Age": "600",
};

function send(res, status, body, headers = {}) {
  const isBuffer = Buffer.isBuffer(body);
  const payload = isBuffer ? body : body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...CORS,
    ...(isBuffer ? {} : { "Content-Type": "application/json" }),
    ...headers,
  });
  res.end(payload);
}

async function readBody(req, limit = 1_000_000) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > limit) throw Object.assign(new Error("Request body too large"), { status: 413 });
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

async function readJson(req) {
  const raw = (await readBody(req)).toString("utf8");
  try {
    return JSON.parse(raw || "null");
  } catch {
    throw Object.assign(new Error("Request body is not valid JSON"), { status: 400 });
  }
}

const ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Detections as the image pipeline writes them: box [x0, y0, x1, y1], digit, confidence. */
function detectionsFor(link) {
  const seed = crypto.createHash("sha256").update(link).digest();
  return Array.from({ length: 6 }, (_, i) => {
    const x0 = 12 + (i % 3) * 116;
    const y0 = 12 + Math.floor(i / 3) * 114;
    return { box: [x0, y0, x0 + 104, y0 + 102], digit: seed[i] % 10, confidence: Number((0.75 + (seed[i + 6] % 25) / 100).toFixed(4)) };
  });
}

const CURVE = {
  n_labeled: [20, 40, 60, 80, 100, 120],
  entropy: [0.52, 0.68, 0.78, 0.85, 0.89, 0.91],
  margin: [0.52, 0.66, 0.77, 0.84, 0.88, 0.9],
  random: [0.52, 0.6, 0.67, 0.72, 0.76, 0.79],
};

/**
 * Start both servers. Returns { frontendUrl, apiUrl, close() , jobs }.
 * options: mode, frontendPort, apiPort (0 = any), distDir, username, password, uploads,
 *          speed (ms per step of job progress, default 700), host.
 */
export async function startMock(options = {}) {
  const mode = options.mode ?? "ok";
  if (!MODES.includes(mode)) throw new Error(`unknown mock mode ${mode} (one of ${MODES.join(", ")})`);
  const host = options.host ?? "127.0.0.1";
  const distDir = options.distDir ?? DEFAULT_DIST;
  const username = options.username ?? process.env.MOCK_USERNAME ?? "demo";
  const password = options.password ?? process.env.MOCK_PASSWORD ?? "demo-password";
  const step = options.speed ?? 700;
  const log = options.log ?? (() => {});
  const tokens = new Set();
  const jobs = new Map();
  const idempotency = new Map();
  const objects = new Map(); // "bucket/key" -> { body, type }
  let apiBase = "";

  const putObject = (bucket, key, body, type) => {
    objects.set(`${bucket}/${key}`, { body, type });
    return `s3://${bucket}/${key}`;
  };
  const presign = (uri) => `${apiBase}/_s3/${uri.slice(5)}?X-Amz-Signature=mock&X-Amz-Expires=900`;

  function makeOutputs(job) {
    const prefix = `jobs/${job.job_id}`;
    if (job.pipeline === "non_structured_data_images") {
      const detections = detectionsFor(job.request.link);
      const overlay = putObject("atelier-local-results", `${prefix}/overlay.png`, overlayPng(detections), "image/png");
      const result = putObject(
        "atelier-local-results",
        `${prefix}/result.json`,
        Buffer.from(
          JSON.stringify({
            link: job.request.link,
            image: { width: 360, height: 240, format: "PNG", mode: "RGB" },
            tile_size: 104,
            threshold: 0.8,
            tiles_scanned: 6,
            detections,
            digits_read: detections.map((d) => d.digit).join(""),
            seconds: 1.234,
          }),
        ),
        "application/json",
      );
      // overlay has a presigned URL; result.json has none, so the page must derive an S3 URL.
      return { overlay, overlay_url: presign(overlay), result };
    }
    // Output names as the e2e flow expects them: ranked_ids, curves, plot.
    const curveJson = putObject("atelier-local-results", `${prefix}/curves.json`, Buffer.from(JSON.stringify(CURVE)), "application/json");
    const curveImg = putObject("atelier-local-results", `${prefix}/curves.png`, curvePng(CURVE), "image/png");
    const ids = job.request.ids.flatMap((d, i) => [0, 1, 2, 3].map((k) => ({ id: `${d}-${String(17 * (k + 1) + i).padStart(4, "0")}`, score: Number((2.3 - 0.13 * (k * 3 + i)).toFixed(3)) })));
    const nextIds = putObject("atelier-local-results", `${prefix}/ranked_ids.json`, Buffer.from(JSON.stringify({ ranked_ids: ids })), "application/json");
    return {
      curves: curveJson,
      curves_url: presign(curveJson),
      plot: curveImg,
      plot_url: presign(curveImg),
      ranked_ids: nextIds,
      ranked_ids_url: presign(nextIds),
      model: `s3://atelier-local-models/non_structured_al_data_images/candidates/${job.job_id}/model.pt`,
    };
  }

  /** The job as GET /jobs/{id} answers it now: status follows the clock since creation. */
  function jobView(job) {
    const elapsed = Date.now() - job.t0;
    const view = { ...job };
    delete view.t0;
    const rounds = 5;
    const runSteps = job.pipeline === "non_structured_al_data_images" ? rounds + 1 : 4;
    const stepNo = Math.floor(elapsed / step);
    if (stepNo < 1) return { ...view, status: "PENDING" };
    view.started_at = new Date(job.t0 + step).toISOString();
    if (job.pipeline === "non_structured_al_data_images") {
      view.device = "cpu";
      view.progress = { round: Math.min(Math.max(stepNo - 1, 0), rounds), of: rounds };
    }
    if (mode === "stuck" || stepNo < 1 + runSteps) return { ...view, status: "RUNNING" };
    view.finished_at = new Date(job.t0 + (1 + runSteps) * step).toISOString();
    if (mode === "job-fails" && job.pipeline === "non_structured_data_images") {
      return { ...view, status: "FAILED", error: "The link does not point to an image (content-type text/html)" };
    }
    job.outputs ??= mode === "no-outputs" ? {} : makeOutputs(job);
    return { ...view, status: "SUCCEEDED", outputs: job.outputs };
  }

  function createJob(req, pipeline, request) {
    const key = req.headers["idempotency-key"];
    if (key && idempotency.has(key)) return jobs.get(idempotency.get(key));
    const job = {
      job_id: crypto.randomUUID(),
      pipeline,
      status: "PENDING",
      created_at: new Date().toISOString(),
      request,
      t0: Date.now(),
    };
    jobs.set(job.job_id, job);
    if (key) idempotency.set(key, job.job_id);
    return job;
  }

  async function api(req, res) {
    const url = new URL(req.url, "http://x");
    const route = `${req.method} ${url.pathname}`;
    if (req.method === "OPTIONS") return send(res, 204);

    // fake S3: objects and presigned-POST uploads
    if (url.pathname.startsWith("/_s3/")) {
      const key = decodeURIComponent(url.pathname.slice(5));
      if (req.method === "POST" && key === "atelier-local-inputs") {
        await readBody(req, 25_000_000);
        return send(res, 204);
      }
      const object = objects.get(key);
      if (!object) return send(res, 404, Buffer.from("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"), { "Content-Type": "application/xml" });
      return send(res, 200, object.body, { "Content-Type": object.type });
    }

    if (route === "POST /auth") {
      const body = await readJson(req);
      if (!body || typeof body.username !== "string" || typeof body.password !== "string") {
        return send(res, 400, { message: 'Body must be {"username": string, "password": string}' });
      }
      if (mode === "login-fails" || body.username !== username || body.password !== password) {
        return send(res, 401, { message: "Invalid username or password" });
      }
      const token = crypto.randomBytes(24).toString("base64url");
      tokens.add(token);
      return send(res, 200, { token, expires_in: 900 });
    }

    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !tokens.has(auth.slice(7))) {
      return send(res, 401, { message: "Unauthorized" });
    }

    if (route === "POST /structured_data") {
      const body = await readJson(req);
      const id = body?.id;
      if (typeof id !== "string" || !ID_RE.test(id)) return send(res, 400, { message: '"id" must be a string of letters and digits' });
      if (!/^\d+$/.test(id) || Number(id) > 5000) return send(res, 404, { message: `No record with id ${id}` });
      // The structured_data service's Prediction, as the lambda forwards it.
      const benign = Number((0.05 + ((Number(id) * 37) % 90) / 100).toFixed(4));
      return send(res, 200, {
        id,
        prediction: benign >= 0.5 ? 1 : 0,
        label: benign >= 0.5 ? "benign" : "malignant",
        probabilities: { malignant: Number((1 - benign).toFixed(4)), benign },
        model_version: "structured_data-20261127-3f2a9c1",
        latency_ms: 7.41,
        created_at: new Date().toISOString(),
      });
    }

    if (route === "POST /non_structured_data_images" || route === "POST /non_structured_al_data_images") {
      const body = await readJson(req);
      if (mode === "start-fails") return send(res, 500, { message: "Could not start the task: no capacity in cluster atelier-local" });
      if (route === "POST /non_structured_data_images") {
        const link = body?.link;
        if (typeof link !== "string" || !/^(s3|https?):\/\//.test(link)) return send(res, 400, { message: '"link" must be an s3:// or http(s):// URL' });
        if (/\/\/(127\.|10\.|169\.254\.|localhost)/.test(link)) return send(res, 400, { message: "The link resolves to a private address, which is not allowed" });
        const job = createJob(req, "non_structured_data_images", { link });
        return send(res, 202, { job_id: job.job_id, status: "PENDING" });
      }
      const ids = body?.ids ?? (body?.id !== undefined ? [body.id] : undefined);
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((i) => typeof i === "string" && ID_RE.test(i))) {
        return send(res, 400, { message: '"ids" must be a non-empty list of dataset ids' });
      }
      const unknown = ids.filter((i) => !/^\d{4}$/.test(i));
      if (unknown.length) return send(res, 404, { message: `Unknown dataset ids: ${unknown.join(", ")}` });
      const job = createJob(req, "non_structured_al_data_images", { ids });
      return send(res, 202, { job_id: job.job_id, status: "PENDING" });
    }

    const jobMatch = /^\/jobs\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && jobMatch) {
      const job = jobs.get(decodeURIComponent(jobMatch[1]));
      if (!job) return send(res, 404, { message: `No job ${jobMatch[1]}` });
      return send(res, 200, jobView(job));
    }

    if (route === "POST /uploads") {
      const body = await readJson(req);
      const name = String(body?.filename ?? "upload").replace(/[^A-Za-z0-9_.-]/g, "_");
      const key = `uploads/${crypto.randomUUID()}/${name}`;
      return send(res, 200, {
        url: `${apiBase}/_s3/atelier-local-inputs`,
        fields: { key, "Content-Type": String(body?.content_type ?? "application/octet-stream"), policy: "mock", "x-amz-signature": "mock" },
        link: `s3://atelier-local-inputs/${key}`,
      });
    }

    return send(res, 404, { message: `No route ${route}` });
  }

  const apiServer = http.createServer((req, res) => {
    api(req, res)
      .then(() => log(`${req.method} ${req.url} -> ${res.statusCode}`))
      .catch((err) => {
        log(`${req.method} ${req.url} -> error ${err.message}`);
        if (!res.headersSent) send(res, err.status ?? 500, { message: err.status ? err.message : "Internal error" });
      });
  });

  let frontendBase = "";
  const frontendServer = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/config.json") {
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      return res.end(
        JSON.stringify({
          apiUrl: apiBase,
          inputsBucket: "atelier-local-inputs",
          env: "local",
          region: "us-east-1",
          s3Endpoint: `${apiBase}/_s3`,
          uploads: Boolean(options.uploads),
          pollIntervalMs: options.pollIntervalMs ?? 2000,
        }),
      );
    }
    const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = path.join(distDir, rel);
    if (!file.startsWith(distDir)) return send(res, 403, { message: "Forbidden" });
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(distDir, "index.html");
    if (!fs.existsSync(file)) {
      res.writeHead(500, { "Content-Type": "text/plain" });
      return res.end(`frontend not built: ${file} is missing (run npm run build in frontend/)`);
    }
    res.writeHead(200, { "Content-Type": MIME[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });

  const listen = (server, port) =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve(server.address().port));
    });
  const apiPort = await listen(apiServer, options.apiPort ?? 0);
  apiBase = `http://${host}:${apiPort}`;
  const frontendPort = await listen(frontendServer, options.frontendPort ?? 0);
  frontendBase = `http://${host}:${frontendPort}/`;

  return {
    mode,
    frontendUrl: frontendBase,
    apiUrl: apiBase,
    username,
    password,
    jobs,
    close: () =>
      Promise.all(
        [apiServer, frontendServer].map(
          (s) =>
            new Promise((resolve) => {
              s.closeAllConnections?.();
              s.close(() => resolve());
            }),
        ),
      ),
  };
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const mock = await startMock({
    mode: arg("mode", process.env.MOCK_MODE ?? "ok"),
    frontendPort: Number(arg("frontend-port", process.env.MOCK_FRONTEND_PORT ?? 5180)),
    apiPort: Number(arg("api-port", process.env.MOCK_API_PORT ?? 5181)),
    uploads: process.argv.includes("--uploads"),
    log: (line) => console.log(line),
  });
  console.log(`mock mode:  ${mock.mode}`);
  console.log(`frontend:   ${mock.frontendUrl}`);
  console.log(`api:        ${mock.apiUrl}`);
  console.log(`log in as:  ${mock.username} / ${mock.password}`);
  const stop = () => mock.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
