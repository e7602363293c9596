/**
 * Lists an ImageFolder tree: `<root>/train/<class>/*.JPEG` and `<root>/val/<class>/*.JPEG` (ImageNet's
 * validation set reorganised into class folders, as torchvision's ImageFolder reads it). Classes are the
 * train folders, sorted; val must have the same folders.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '@rewind/data';
import type { SplitName } from './shard-index.ts';

export interface FolderSample {
  readonly path: string;
  readonly label: number;
}

export interface ImageFolderListing {
  readonly classes: readonly string[];
  readonly splits: Readonly<Record<SplitName, readonly FolderSample[]>>;
}

const IMAGE_FILE = /\.(jpe?g)$/i;
const HINT = 'An ImageFolder dataset has train/<class>/*.JPEG and val/<class>/*.JPEG with the same class folders';

async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new DatasetError('missing', dir, `cannot list folder: ${(cause as NodeJS.ErrnoException).code ?? cause}`, HINT);
  }
}

export async function listImageFolder(root: string): Promise<ImageFolderListing> {
  const classes = (await entries(join(root, 'train')))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (classes.length < 2) throw new DatasetError('malformed', join(root, 'train'), `found ${classes.length} class folders, need at least 2`, HINT);
  const valClasses = new Set((await entries(join(root, 'val'))).filter((e) => e.isDirectory()).map((e) => e.name));
  const missing = classes.filter((c) => !valClasses.has(c));
  const extra = [...valClasses].filter((c) => !classes.includes(c));
  if (missing.length > 0 || extra.length > 0) {
    const detail = [missing.length > 0 ? `val lacks class folders ${missing.join(', ')}` : '', extra.length > 0 ? `val has class folders train lacks: ${extra.join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    throw new DatasetError('malformed', join(root, 'val'), detail, HINT);
  }
  const splits = {} as Record<SplitName, FolderSample[]>;
  for (const split of ['train', 'val'] as const) {
    splits[split] = [];
    for (const [label, name] of classes.entries()) {
      const dir = join(root, split, name);
      const files = (await entries(dir))
        .filter((e) => e.isFile() && IMAGE_FILE.test(e.name))
        .map((e) => e.name)
        .sort();
      if (files.length === 0) throw new DatasetError('malformed', dir, 'class folder holds no .jpg/.jpeg files', HINT);
      splits[split].push(...files.map((f) => ({ path: join(dir, f), label })));
    }
  }
  return { classes, splits };
}
