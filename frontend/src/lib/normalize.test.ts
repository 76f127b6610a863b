import { describe, expect, it } from "vitest";
import { curveSeries, detectionsOf, formatCell, nextIdsOf, scalarsOf } from "./normalize";

describe("detectionsOf", () => {
  it("reads the image pipeline's result.json", () => {
    const table = detectionsOf({
      tiles_scanned: 12,
      detections: [
        { box: [0, 0, 32, 32], digit: 3, confidence: 0.97 },
        { box: [32, 0, 64, 32], digit: 7, confidence: 0.88 },
      ],
    });
    expect(table?.columns).toEqual(["digit", "confidence", "box"]);
    expect(table?.rows).toHaveLength(2);
  });
  it("accepts a bare list and says null when there is none", () => {
    expect(detectionsOf([{ label: "cat", score: 0.5 }])?.columns).toEqual(["label", "score"]);
    expect(detectionsOf({ message: "nothing" })).toBeNull();
  });
});

describe("scalarsOf / formatCell", () => {
  it("keeps scalar fields and formats cells", () => {
    expect(scalarsOf({ a: 1, b: "x", c: [1], d: { e: 1 }, link: "s3://in/a.png" })).toEqual([["a", 1], ["b", "x"]]);
    expect(formatCell(0.123456)).toBe("0.123");
    expect(formatCell([1, 2, 3, 4])).toBe("1, 2, 3, 4");
    expect(formatCell(null)).toBe("");
    expect(formatCell("2026-11-27T03:18:34.617Z")).toBe(new Date("2026-11-27T03:18:34.617Z").toLocaleString());
    expect(formatCell("2026-11-27 is a date")).toBe("2026-11-27 is a date");
  });
});

describe("curveSeries", () => {
  it("reads column-wise curves with a shared x", () => {
    const series = curveSeries({ n_labeled: [20, 40], entropy: [0.5, 0.7], random: [0.5, 0.6] });
    expect(series).toEqual([
      { name: "entropy", points: [{ x: 20, y: 0.5 }, { x: 40, y: 0.7 }] },
      { name: "random", points: [{ x: 20, y: 0.5 }, { x: 40, y: 0.6 }] },
    ]);
  });
  it("reads per-strategy lists of rows under a wrapper", () => {
    const series = curveSeries({ curves: { entropy: [{ n_labeled: 20, accuracy: 0.5 }, { n_labeled: 40, accuracy: 0.8 }], random: [{ n_labeled: 20, accuracy: 0.5 }] } });
    expect(series.map((s) => s.name)).toEqual(["entropy", "random"]);
    expect(series[0].points).toEqual([{ x: 20, y: 0.5 }, { x: 40, y: 0.8 }]);
  });
  it("reads long-format rows with a strategy column", () => {
    const series = curveSeries([
      { strategy: "margin", round: 1, accuracy: 0.6 },
      { strategy: "random", round: 1, accuracy: 0.55 },
      { strategy: "margin", round: 2, accuracy: 0.7 },
    ]);
    expect(series).toEqual([
      { name: "margin", points: [{ x: 1, y: 0.6 }, { x: 2, y: 0.7 }] },
      { name: "random", points: [{ x: 1, y: 0.55 }] },
    ]);
  });
  it("reads a plain list of numbers, and nothing from junk", () => {
    expect(curveSeries([0.5, 0.6])).toEqual([{ name: "accuracy", points: [{ x: 0, y: 0.5 }, { x: 1, y: 0.6 }] }]);
    expect(curveSeries("nope")).toEqual([]);
    expect(curveSeries({ a: "b" })).toEqual([]);
  });
});

describe("nextIdsOf", () => {
  it("reads lists of ids or of scored items, bare or wrapped", () => {
    expect(nextIdsOf(["a", 7])).toEqual([{ id: "a" }, { id: "7" }]);
    expect(nextIdsOf({ ranked_ids: [{ id: "1914-3", score: 2.1 }, { sample_id: 9, entropy: 1.5 }] })).toEqual([
      { id: "1914-3", score: 2.1 },
      { id: "9", score: 1.5 },
    ]);
    expect(nextIdsOf({ nothing: true })).toEqual([]);
  });
});
