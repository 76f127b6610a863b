import { useState } from "react";
import type { ResolvedOutput } from "../lib/outputs";

/** An image output; if it cannot load (private bucket, expired URL) say so and link to it. */
export function OutputImage({ output, alt }: { output: ResolvedOutput; alt: string }) {
  const [failed, setFailed] = useState(false);
  if (!output.href) return <p className="muted">{output.name}: {output.uri} (no URL the browser can load)</p>;
  return (
    <figure className="output-image">
      {failed ? (
        <p role="alert" className="alert alert-warn">
          Could not load {alt.toLowerCase()} from {output.presigned ? "its presigned URL (expired?)" : "S3 (no presigned URL given)"}.{" "}
          <a href={output.href} target="_blank" rel="noreferrer">
            Open it
          </a>
        </p>
      ) : (
        <a href={output.href} target="_blank" rel="noreferrer">
          <img src={output.href} alt={alt} onError={() => setFailed(true)} />
        </a>
      )}
      <figcaption className="muted small mono">{output.uri}</figcaption>
    </figure>
  );
}
