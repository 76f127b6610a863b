export interface S3Location {
  bucket: string;
  key: string;
}

export function parseS3Uri(uri: string): S3Location | null {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri.trim());
  return match ? { bucket: match[1], key: match[2] } : null;
}

function encodeKey(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

export interface S3UrlOptions {
  /** Local runtime endpoint (e.g. http://127.0.0.1:4566): path-style URLs. */
  s3Endpoint?: string;
  /** AWS region for virtual-hosted URLs; defaults to us-east-1. */
  region?: string;
}

/**
 * An http(s) URL for an s3:// URI. Only works for objects the browser may read (public, or a
 * local runtime); prefer a presigned `<name>_url` from the API when there is one.
 * Returns null if the value is not an s3:// URI; http(s) URLs pass through unchanged.
 */
export function s3HttpUrl(uri: string, options: S3UrlOptions = {}): string | null {
  if (/^https?:\/\//.test(uri)) return uri;
  const location = parseS3Uri(uri);
  if (!location) return null;
  const key = encodeKey(location.key);
  if (options.s3Endpoint) {
    return `${options.s3Endpoint.replace(/\/+$/, "")}/${location.bucket}/${key}`;
  }
  const region = options.region ?? "us-east-1";
  const host = region === "us-east-1" ? "s3.amazonaws.com" : `s3.${region}.amazonaws.com`;
  return `https://${location.bucket}.${host}/${key}`;
}
