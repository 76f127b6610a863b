import { useEffect, useState } from "react";
import type { ResolvedOutput } from "../lib/outputs";

export interface JsonOutputState {
  data: unknown;
  loading: boolean;
  error: string | null;
}

/**
 * The JSON of an output: inline values as they are; `.json` objects fetched from their
 * (presigned) URL without credentials. A failure is reported, with the link still offered.
 */
export function useJsonOutput(output: ResolvedOutput | undefined, fetchImpl: typeof fetch = fetch): JsonOutputState {
  const href = output?.kind === "json" ? output.href : null;
  const [state, setState] = useState<JsonOutputState>({ data: undefined, loading: false, error: null });

  useEffect(() => {
    if (!href) return undefined;
    let cancelled = false;
    setState({ data: undefined, loading: true, error: null });
    fetchImpl(href, { credentials: "omit" })
      .then(async (response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then((data) => !cancelled && setState({ data, loading: false, error: null }))
      .catch((err: Error) => !cancelled && setState({ data: undefined, loading: false, error: `Could not load ${output?.name}: ${err.message}` }));
    return () => {
      cancelled = true;
    };
    // Re-fetch only when the URL changes (a new object), not on every render of the caller.
  }, [href]);

  if (output?.kind === "inline") return { data: output.value, loading: false, error: null };
  return state;
}
