/**
 * Runtime configuration, fetched from `config.json` beside index.html.
 *
 * The deployer writes that file into the frontend bucket for each environment, so one build
 * (`npm run build`) serves local, qa, preprod and prod. Nothing here is baked in at build time.
 */
export interface AppConfig {
  /** Base URL of the API (API Gateway stage URL), no trailing slash. */
  apiUrl: string;
  /** Bucket where uploads land (shown to the user, used to describe upload links). */
  inputsBucket?: string;
  /** local | qa | preprod | prod, shown in the header. */
  env: string;
  /** AWS region, used to build S3 URLs for s3:// outputs without a presigned URL. */
  region?: string;
  /** S3 endpoint for path-style URLs (local runtime), e.g. http://127.0.0.1:4566. */
  s3Endpoint?: string;
  /** Show the file upload control (needs the API's POST /uploads). */
  uploads: boolean;
  /** Job polling interval in ms (default 2000). */
  pollIntervalMs: number;
}

export class ConfigError extends Error {}

function optionalString(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new ConfigError(`config.json: "${key}" must be a string`);
  return value;
}

/** Validate the parsed JSON of config.json; throws ConfigError with a readable message. */
export function parseConfig(raw: unknown): AppConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError("config.json must be a JSON object");
  }
  const obj = raw as Record<string, unknown>;
  const apiUrl = optionalString(obj, "apiUrl");
  if (!apiUrl) throw new ConfigError('config.json has no "apiUrl"');
  if (!/^https?:\/\//.test(apiUrl) && !apiUrl.startsWith("/")) {
    throw new ConfigError(`config.json: "apiUrl" must be an http(s) URL or an absolute path, got ${apiUrl}`);
  }
  const poll = obj.pollIntervalMs;
  return {
    apiUrl: apiUrl.replace(/\/+$/, ""),
    inputsBucket: optionalString(obj, "inputsBucket"),
    env: optionalString(obj, "env") ?? "unknown",
    region: optionalString(obj, "region"),
    s3Endpoint: optionalString(obj, "s3Endpoint")?.replace(/\/+$/, ""),
    uploads: obj.uploads === true,
    pollIntervalMs: typeof poll === "number" && poll >= 100 ? poll : 2000,
  };
}

/** Fetch and validate ./config.json (relative to the page, so any bucket prefix works). */
export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<AppConfig> {
  let response: Response;
  try {
    response = await fetchImpl("config.json", { cache: "no-store" });
  } catch (err) {
    throw new ConfigError(`Could not fetch config.json: ${(err as Error).message}`);
  }
  if (!response.ok) {
    throw new ConfigError(`Could not fetch config.json: HTTP ${response.status}`);
  }
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new ConfigError("config.json is not valid JSON");
  }
  return parseConfig(raw);
}
