/** Reads back what the figures drew, from the SVG text (attribute order is fixed by `element`). */

export interface DrawnSeries {
  readonly label: string;
  readonly dashed: boolean;
  readonly points: readonly { x: number; y: number }[];
}

const unescapeXml = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

export function drawnSeries(svg: string): DrawnSeries[] {
  return [...svg.matchAll(/<path class="series" data-series="([^"]*)" d="([^"]*)"([^>]*)\/>/g)].map((m) => ({
    label: unescapeXml(m[1]!),
    dashed: m[3]!.includes('stroke-dasharray'),
    points: [...m[2]!.matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((p) => ({ x: Number(p[1]), y: Number(p[2]) })),
  }));
}

export function count(svg: string, pattern: RegExp): number {
  return [...svg.matchAll(pattern)].length;
}
