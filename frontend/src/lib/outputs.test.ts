import { describe, expect, it } from "vitest";
import { findCurveData, findCurveImage, findDetections, findNextIds, findOverlay, resolveOutputs } from "./outputs";

describe("resolveOutputs", () => {
  it("prefers the presigned <name>_url and derives a URL otherwise", () => {
    const outputs = resolveOutputs(
      {
        overlay: "s3://results/jobs/1/overlay.png",
        overlay_url: "https://results.s3.amazonaws.com/jobs/1/overlay.png?X-Amz-Signature=abc",
        result: "s3://results/jobs/1/result.json",
      },
      { s3Endpoint: "http://127.0.0.1:4566" },
    );
    expect(outputs).toEqual([
      { name: "overlay", kind: "image", uri: "s3://results/jobs/1/overlay.png", href: "https://results.s3.amazonaws.com/jobs/1/overlay.png?X-Amz-Signature=abc", presigned: true },
      { name: "result", kind: "json", uri: "s3://results/jobs/1/result.json", href: "http://127.0.0.1:4566/results/jobs/1/result.json", presigned: false },
    ]);
  });

  it("keeps a lone _url as its own output, and inline values", () => {
    const outputs = resolveOutputs({ plot_url: "https://x/p.png?sig", ranked_ids: ["a", "b"] });
    expect(outputs[0]).toMatchObject({ name: "plot", kind: "image", href: "https://x/p.png?sig", presigned: true });
    expect(outputs[1]).toMatchObject({ name: "ranked_ids", kind: "inline", value: ["a", "b"] });
  });

  it("finds the image job's overlay and detections", () => {
    const outputs = resolveOutputs({ result: "s3://r/result.json", overlay: "s3://r/overlay.png" });
    expect(findOverlay(outputs)?.name).toBe("overlay");
    expect(findDetections(outputs)?.name).toBe("result");
  });

  it("finds the active-learning curve, plot and ranked ids", () => {
    const outputs = resolveOutputs({
      ranked_ids: "s3://r/ranked_ids.json",
      curves: "s3://r/curves.json",
      plot: "s3://r/curves.png",
      model: "s3://m/model.pt",
    });
    expect(findCurveData(outputs)?.name).toBe("curves");
    expect(findCurveImage(outputs)?.name).toBe("plot");
    expect(findNextIds(outputs)?.name).toBe("ranked_ids");
    expect(outputs.find((o) => o.name === "model")?.kind).toBe("file");
  });
});
