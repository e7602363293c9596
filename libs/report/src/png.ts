import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

/** Debian's chromium; playwright's own browser downloads are unreachable here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserOptions {
  /** Defaults to Debian's `/usr/bin/chromium`. */
  readonly executablePath?: string;
  /** Device pixels per CSS pixel; 2 gives crisp figures. */
  readonly deviceScaleFactor?: number;
}

export type BrowserOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/**
 * Shows `svg` alone on a white page in a fresh headless chromium profile and runs `use` on that page.
 * A missing or unlaunchable browser is an outcome (`ok: false` with a one-line reason), not an exception;
 * errors inside `use` propagate. The profile directory is removed afterwards.
 */
export async function withSvgPage<T>(
  svg: string,
  use: (page: Page) => Promise<T>,
  options: BrowserOptions = {},
): Promise<BrowserOutcome<T>> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    return { ok: false, reason: `chromium not found at ${executablePath} (apt-get install -y chromium)` };
  }
  const profile = await mkdtemp(join(tmpdir(), 'rewind-report-chromium-'));
  try {
    let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>>;
    try {
      context = await chromium.launchPersistentContext(profile, {
        executablePath,
        headless: true,
        args: CHROMIUM_ARGS,
        deviceScaleFactor: options.deviceScaleFactor ?? 1,
      });
    } catch (error) {
      const firstLine = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      return { ok: false, reason: `chromium failed to start: ${firstLine}` };
    }
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.setContent(`<!doctype html><html><body style="margin:0;background:white">${svg}</body></html>`);
      return { ok: true, value: await use(page) };
    } finally {
      await context.close();
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

export type PngOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Renders an SVG string to a PNG file at `path`: the figure's own size, `deviceScaleFactor` (default 2) pixels per SVG pixel. */
export async function svgToPng(svg: string, path: string, options: BrowserOptions = {}): Promise<PngOutcome> {
  const outcome = await withSvgPage(
    svg,
    async (page) => {
      const figure = page.locator('svg').first();
      const box = await figure.boundingBox();
      if (box === null) throw new Error('the SVG has no rendered box');
      // A figure larger than the default viewport would be clipped.
      await page.setViewportSize({ width: Math.ceil(box.width), height: Math.ceil(box.height) });
      await figure.screenshot({ path, scale: 'device' });
    },
    { ...options, deviceScaleFactor: options.deviceScaleFactor ?? 2 },
  );
  return outcome.ok ? { ok: true } : outcome;
}
