// Minimal PNG writer and raster helpers (node:zlib only) so the mock API can serve real images:
// an annotated overlay and a learning-curve plot, like the pipelines write to S3.
import zlib from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export class Raster {
  constructor(width, height, background = [255, 255, 255]) {
    this.width = width;
    this.height = height;
    this.data = Buffer.alloc(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  set(x, y, [r, g, b]) {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.data[i] = r;
    this.data[i + 1] = g;
    this.data[i + 2] = b;
  }

  fillRect(x, y, w, h, color) {
    for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) this.set(i, j, color);
  }

  strokeRect(x, y, w, h, color, thickness = 2) {
    this.fillRect(x, y, w, thickness, color);
    this.fillRect(x, y + h - thickness, w, thickness, color);
    this.fillRect(x, y, thickness, h, color);
    this.fillRect(x + w - thickness, y, thickness, h, color);
  }

  line(x0, y0, x1, y1, color, thickness = 2) {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      this.fillRect(Math.round(x - thickness / 2), Math.round(y - thickness / 2), thickness, thickness, color);
    }
  }

  /** A digit from a 3x5 bitmap font, each cell `scale` pixels. */
  digit(d, x, y, scale, color) {
    const rows = FONT[d];
    rows.forEach((row, j) => {
      [...row].forEach((cell, i) => {
        if (cell === "1") this.fillRect(x + i * scale, y + j * scale, scale, scale, color);
      });
    });
  }

  toPng() {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (this.width * 3 + 1)] = 0;
      this.data.copy(raw, y * (this.width * 3 + 1) + 1, y * this.width * 3, (y + 1) * this.width * 3);
    }
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    header[8] = 8; // bit depth
    header[9] = 2; // RGB
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", header),
      chunk("IDAT", zlib.deflateSync(raw)),
      chunk("IEND", Buffer.alloc(0)),
    ]);
  }
}

const FONT = {
  0: ["111", "101", "101", "101", "111"],
  1: ["010", "110", "010", "010", "111"],
  2: ["111", "001", "111", "100", "111"],
  3: ["111", "001", "111", "001", "111"],
  4: ["101", "101", "111", "001", "001"],
  5: ["111", "100", "111", "001", "111"],
  6: ["111", "100", "111", "101", "111"],
  7: ["111", "001", "010", "010", "010"],
  8: ["111", "101", "111", "101", "111"],
  9: ["111", "101", "111", "001", "111"],
};

const BOX_COLORS = [[220, 38, 38], [37, 99, 235], [22, 163, 74], [147, 51, 234], [234, 88, 12], [8, 145, 178]];

/** An overlay like the image pipeline's: digit tiles, each boxed and labelled. */
export function overlayPng(detections) {
  const img = new Raster(360, 240, [236, 238, 241]);
  detections.forEach((det, i) => {
    const [x, y, x1, y1] = det.box;
    const w = x1 - x;
    const h = y1 - y;
    img.fillRect(x, y, w, h, [250, 250, 250]);
    img.digit(det.digit, x + w / 2 - 18, y + h / 2 - 30, 12, [40, 40, 48]);
    const color = BOX_COLORS[i % BOX_COLORS.length];
    img.strokeRect(x, y, w, h, color, 3);
    img.fillRect(x, y, 26, 22, color);
    img.digit(det.digit, x + 7, y + 4, 3, [255, 255, 255]);
  });
  return img.toPng();
}

/** A learning-curve plot like the active-learning pipeline's. */
export function curvePng(curve) {
  const img = new Raster(480, 300);
  const left = 40, right = 460, top = 20, bottom = 270;
  img.line(left, bottom, right, bottom, [120, 120, 120], 1);
  img.line(left, top, left, bottom, [120, 120, 120], 1);
  const xs = curve.n_labeled;
  const sx = (x) => left + ((x - xs[0]) / (xs[xs.length - 1] - xs[0])) * (right - left);
  const sy = (y) => bottom - y * (bottom - top);
  ["entropy", "margin", "random"].forEach((name, k) => {
    const color = [[37, 99, 235], [220, 38, 38], [22, 163, 74]][k];
    for (let i = 1; i < xs.length; i++) img.line(sx(xs[i - 1]), sy(curve[name][i - 1]), sx(xs[i]), sy(curve[name][i]), color, 3);
  });
  return img.toPng();
}
