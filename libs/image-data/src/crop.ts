/**
 * Crop geometry, in the source image's pixels: torchvision 0.14's RandomResizedCrop (ten tries at a
 * random area and log-uniform aspect ratio, then a centre crop clamped to the ratio range), and the
 * evaluation crop "resize the shorter side to R, centre crop S" expressed on the original image, so the
 * decoder can use DCT scaling and resample once. Pure.
 */
import type { Rng } from '@rewind/core';

export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface RandomResizedCropRange {
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
}

export const IMAGENET_CROP_RANGE: RandomResizedCropRange = { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] };

export function randomResizedCrop(width: number, height: number, rng: Rng, range: RandomResizedCropRange = IMAGENET_CROP_RANGE): CropBox {
  const area = width * height;
  const [logLo, logHi] = [Math.log(range.ratio[0]), Math.log(range.ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (range.scale[0] + rng.next() * (range.scale[1] - range.scale[0]));
    const aspect = Math.exp(logLo + rng.next() * (logHi - logLo));
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const y = rng.int(height - h + 1);
      const x = rng.int(width - w + 1);
      return { x, y, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let [w, h] = [width, height];
  if (inRatio < range.ratio[0]) h = Math.round(w / range.ratio[0]);
  else if (inRatio > range.ratio[1]) w = Math.round(h * range.ratio[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

/** The square that "resize shorter side to `resize`, centre crop `size`" keeps, in source pixels. */
export function centerCrop(width: number, height: number, size: number, resize: number): CropBox {
  const side = Math.max(1, Math.round((Math.min(width, height) * size) / resize));
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side };
}

/** ImageNet's evaluation resize for an output size: 256 for 224, in the same proportion otherwise. */
export function evalResizeFor(size: number): number {
  return Math.round((size * 256) / 224);
}
