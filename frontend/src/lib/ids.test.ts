import { describe, expect, it } from "vitest";
import { MAX_IDS, parseIds, validateLink, validateRecordId } from "./ids";

describe("parseIds", () => {
  it("splits on commas, spaces and semicolons, trims, keeps order, drops duplicates", () => {
    expect(parseIds(" 1914, 1918 ,1939;1918\n2001 ")).toEqual({ ids: ["1914", "1918", "1939", "2001"], errors: [] });
  });
  it("ignores empty items from trailing or doubled commas", () => {
    expect(parseIds("1914,,1918,")).toEqual({ ids: ["1914", "1918"], errors: [] });
  });
  it("asks for at least one id", () => {
    expect(parseIds(" , ").errors).toEqual(["Enter at least one dataset id."]);
  });
  it("names each invalid id and keeps the valid ones", () => {
    const { ids, errors } = parseIds("1914, 19'18, ok_2, ä1");
    expect(ids).toEqual(["1914", "ok_2"]);
    expect(errors).toEqual([
      `"19'18" is not a valid id (letters, digits, "_", "-" or "." only).`,
      `"ä1" is not a valid id (letters, digits, "_", "-" or "." only).`,
    ]);
  });
  it("caps the number of ids", () => {
    const many = Array.from({ length: MAX_IDS + 1 }, (_, i) => String(i)).join(",");
    expect(parseIds(many).errors).toEqual([`At most ${MAX_IDS} ids at once (got ${MAX_IDS + 1}).`]);
  });
});

describe("validateRecordId", () => {
  it("accepts a plain id and refuses empty or odd input", () => {
    expect(validateRecordId(" 1789 ")).toBeNull();
    expect(validateRecordId("")).toBe("Enter a record id.");
    expect(validateRecordId("1 OR 1=1")).toBe('"1 OR 1=1" is not a valid record id.');
  });
});

describe("validateLink", () => {
  it("accepts s3 and http(s) links", () => {
    expect(validateLink("s3://atelier-local-inputs/samples/a.png")).toBeNull();
    expect(validateLink("https://example.org/a.png")).toBeNull();
  });
  it("refuses other schemes and junk", () => {
    expect(validateLink("file:///etc/passwd")).toMatch(/must start with/);
    expect(validateLink("s3://bucket")).toMatch(/must start with/);
    expect(validateLink("")).toBe("Enter an image link.");
  });
});
