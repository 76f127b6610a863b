/** An API failure with the message a person should read. `status` 0 means no HTTP answer. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, message: string, body?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }

  /**
   * The token is missing, expired or refused: 401, or API Gateway's 403 when the authorizer
   * denies the token ("User is not authorized to access this resource...").
   */
  get isAuthError(): boolean {
    if (this.status === 401) return true;
    return this.status === 403 && /not authori[sz]ed|unauthori[sz]ed|expired|token/i.test(this.message);
  }
}

/**
 * The readable message of an error body. The API answers `{"message": "..."}` (DESIGN §5);
 * API Gateway itself answers `{"message": "Unauthorized"}`; FastAPI-style `{"detail"}` and
 * `{"error"}` are accepted too. Falls back to the HTTP status.
 */
export function messageFromBody(status: number, statusText: string, body: unknown): string {
  if (body && typeof body === "object") {
    const obj = body as Record<string, unknown>;
    for (const key of ["message", "Message", "error", "detail"]) {
      const value = obj[key];
      if (typeof value === "string" && value.trim()) return value;
      if (Array.isArray(value) && value.length) {
        return value
          .map((item) => (item && typeof item === "object" && "msg" in item ? String(item.msg) : String(item)))
          .join("; ");
      }
    }
  }
  if (typeof body === "string" && body.trim() && body.length < 300 && !body.trim().startsWith("<")) {
    return body.trim();
  }
  return `HTTP ${status}${statusText ? ` ${statusText}` : ""}`;
}

/** Text for any thrown value, for display. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    return err.status ? `${err.message} (HTTP ${err.status})` : err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
