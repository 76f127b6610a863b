/** Ids are short tokens: letters, digits, "_", "-", "." (no spaces, quotes or SQL). */
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const MAX_IDS = 100;

export interface ParsedIds {
  ids: string[];
  errors: string[];
}

/**
 * Parse "1914, 1918,1939" (commas, semicolons, spaces or newlines) into unique ids, in order.
 * Never throws: returns the errors to show beside the field.
 */
export function parseIds(input: string): ParsedIds {
  const tokens = input
    .split(/[\s,;]+/)
    .map((token) => token.trim())
    .filter(Boolean);
  const errors: string[] = [];
  if (tokens.length === 0) return { ids: [], errors: ["Enter at least one dataset id."] };

  const seen = new Set<string>();
  const ids: string[] = [];
  for (const token of tokens) {
    if (!ID_PATTERN.test(token)) {
      errors.push(`"${token}" is not a valid id (letters, digits, "_", "-" or "." only).`);
    } else if (!seen.has(token)) {
      seen.add(token);
      ids.push(token);
    }
  }
  if (ids.length > MAX_IDS) errors.push(`At most ${MAX_IDS} ids at once (got ${ids.length}).`);
  return { ids, errors };
}

/** One record id for the structured-data route; returns an error message or null. */
export function validateRecordId(input: string): string | null {
  const value = input.trim();
  if (!value) return "Enter a record id.";
  if (!ID_PATTERN.test(value)) return `"${value}" is not a valid record id.`;
  return null;
}

/** An image link must be s3:// or http(s)://. Returns an error message or null. */
export function validateLink(input: string): string | null {
  const value = input.trim();
  if (!value) return "Enter an image link.";
  if (/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+/.test(value)) return null;
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return null;
  } catch {
    /* fall through */
  }
  return "The link must start with s3://bucket/key, http:// or https://.";
}
