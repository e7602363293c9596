/**
 * `rewind export <id> --run DIR --format torch --out FILE`: a ticket as a PyTorch state dict in safetensors.
 * The id (full or an unambiguous prefix) is a row's trained weights, its rewind checkpoint W_k, or its mask
 * (then the ticket's trained weights); the row's mask goes with the weights.
 */
import { join } from 'node:path';
import type { Mask, ModelName } from '@rewind/core';
import { SYNTHETIC_DEFAULTS } from '@rewind/data';
import { LocalDirStore, writeFileAtomic } from '@rewind/local';
import { encode } from '@rewind/safetensors';
import { toTorchStateDict } from '@rewind/torch-export';
import { readResults } from '../results-file.ts';
import { UsageError } from '../spec-file.ts';

const INPUT_SHAPES: Readonly<Record<string, readonly [number, number, number]>> = {
  mnist: [28, 28, 1],
  fashion_mnist: [28, 28, 1],
  cifar10: [32, 32, 3],
  synthetic: SYNTHETIC_DEFAULTS.inputShape,
};

export interface ExportOptions {
  readonly run: string;
  readonly format: string;
  readonly out: string;
  readonly masks: string;
}

export async function exportCommand(id: string, options: ExportOptions): Promise<number> {
  if (options.format !== 'torch') throw new UsageError(`--format ${JSON.stringify(options.format)} is not supported; use --format torch`);
  if (options.masks !== 'prune' && options.masks !== 'none') throw new UsageError(`--masks must be prune or none, found ${JSON.stringify(options.masks)}`);
  if (!/^[0-9a-f]{6,64}$/.test(id)) throw new UsageError(`${JSON.stringify(id)} is not a checkpoint id: give 6 to 64 lowercase hex digits, as \`rewind show\` and results.json print them`);
  const results = await readResults(options.run);
  const inputShape = INPUT_SHAPES[results.dataset];
  if (!inputShape) throw new UsageError(`cannot export a model trained on ${results.dataset}: its input shape is unknown to rewind export`);

  const found = new Map<string, string | undefined>();
  for (const row of results.rows) {
    if (row.finalId.startsWith(id)) found.set(row.finalId, row.maskId);
    if (row.rewindId?.startsWith(id)) found.set(row.rewindId, row.maskId);
    if (row.maskId?.startsWith(id) && row.kind === 'ticket' && row.copy === 0) found.set(row.finalId, row.maskId);
  }
  if (found.size === 0) throw new UsageError(`no checkpoint or mask ${id}… in ${join(options.run, 'results.json')}; \`rewind show ${options.run}\` lists the run`);
  if (found.size > 1) throw new UsageError(`${id} is ambiguous: it starts ${[...found.keys()].join(', ')}; give more digits`);
  const [stateId, maskId] = [...found][0]!;

  const store = new LocalDirStore(join(options.run, 'checkpoints'));
  const { value: state } = await store.getState(stateId);
  const mask: Mask | undefined = maskId ? (await store.getMask(maskId)).value : undefined;
  const entries = toTorchStateDict(state, mask, { model: results.model as ModelName, inputShape, masks: options.masks });
  const metadata = { format: 'pt', 'rewind.model': results.model, 'rewind.checkpoint': stateId, 'rewind.mask': maskId ?? '', 'rewind.step': String(state.step) };
  await writeFileAtomic(options.out, encode(entries, metadata));
  process.stderr.write(`rewind: wrote ${options.out}: ${results.model} at step ${state.step}, checkpoint ${stateId}${maskId ? `, mask ${maskId}` : ''}\n`);
  return 0;
}
