/**
 * The JPEG addon (libjpeg-turbo through N-API). Loaded on first use, so packages that only read an index
 * never need it; a machine without it gets one error that says what to install.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface JpegAddon {
  /** [width, height] from the header; throws code ERR_CORRUPT_JPEG if it is not a JPEG. */
  jpegSize(jpeg: Uint8Array): [number, number];
  /**
   * Decodes at the largest DCT scale 1/denominator (up to `maxDenominator`) at which the crop still covers
   * the output, resamples the crop bilinearly into `out` at `outOffset` (outW × outH × 3 RGB), flipped if
   * asked. Returns the denominator used. Throws code ERR_CORRUPT_JPEG on a damaged or truncated file.
   */
  decodeCropResize(
    jpeg: Uint8Array,
    x: number,
    y: number,
    width: number,
    height: number,
    outWidth: number,
    outHeight: number,
    flip: boolean,
    out: Uint8Array,
    outOffset: number,
    maxDenominator: number,
  ): number;
  /** The whole image at scale 1/denominator, RGB. */
  decode(jpeg: Uint8Array, denominator: number): { width: number; height: number; rgb: Uint8Array };
  /** 4:2:0 baseline JPEG of width × height × 3 RGB bytes. */
  encode(rgb: Uint8Array, width: number, height: number, quality: number): Uint8Array;
}

const addonPath = fileURLToPath(new URL('../build/rewind_jpeg.node', import.meta.url));
let loaded: JpegAddon | undefined;

export function jpegAddon(): JpegAddon {
  if (loaded) return loaded;
  if (!existsSync(addonPath)) {
    throw new Error(
      `the JPEG addon is not built (${addonPath}); install libturbojpeg0-dev and run \`npm run build -w @rewind/image-data\``,
    );
  }
  loaded = createRequire(import.meta.url)(addonPath) as JpegAddon;
  return loaded;
}

/** Whether an error thrown by the addon means the file itself is damaged. */
export function isCorruptJpeg(error: unknown): boolean {
  return (error as { code?: string })?.code === 'ERR_CORRUPT_JPEG';
}
