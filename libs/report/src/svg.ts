/** Minimal SVG string building: every attribute and text node goes through escaping, so labels cannot break the XML. */

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Coordinates to two decimals: sub-pixel enough, and keeps the SVG small and diff-stable. */
export function coord(value: number): string {
  return String(Math.round(value * 100) / 100);
}

export type Attributes = Readonly<Record<string, string | number | undefined>>;

export function element(name: string, attributes: Attributes, children: readonly string[] = []): string {
  const attrs = Object.entries(attributes)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(typeof value === 'number' ? coord(value) : value)}"`)
    .join('');
  return children.length === 0 ? `<${name}${attrs}/>` : `<${name}${attrs}>${children.join('')}</${name}>`;
}

export function text(content: string, attributes: Attributes): string {
  return `${element('text', attributes).slice(0, -2)}>${escapeXml(content)}</text>`;
}
