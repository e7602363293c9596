/**
 * The sweep spec: what a researcher writes (YAML, parsed elsewhere) validated into typed hparams.
 * Every error names the field, what was found and what is allowed; all errors are reported at once.
 */
import { formatDuration, parseDuration } from './duration.ts';
import type { KindCatalog } from './kind-catalog.ts';
import {
  AUGMENTABLE_DATASETS,
  CORRUPT_IMAGE_POLICIES,
  DATASET_NAMES,
  type DatasetName,
  IMAGE_DATASETS,
  isImageDataset,
  type DatasetHparams,
  type Duration,
  MODEL_NAMES,
  type ModelName,
  PRUNING_STRATEGIES,
  type PruningHparams,
  type TrainingHparams,
} from './hparams.ts';

export interface StabilitySpec {
  /** Analyses to run per ticket and control (kinds of @rewind/kinds). */
  readonly analyses: readonly string[];
  /** Copies of each subnet trained on different data orders (≥ 2 for data-order stability and instability). */
  readonly copies: number;
  /** Rounds analysed (0 = the dense net); every round when absent. */
  readonly rounds?: readonly number[];
  /** The analyses' own numbers by spec key (e.g. `alpha_points`), defaults filled in. */
  readonly options: Readonly<Record<string, number>>;
}

export interface SweepSpec {
  readonly name: string;
  readonly model: { readonly name: ModelName; readonly width: number };
  /** One dense trunk per seed (initialisation seed). */
  readonly seeds: readonly number[];
  readonly dataset: DatasetHparams;
  readonly training: TrainingHparams;
  readonly pruning: PruningHparams;
  /** Rewind points k. */
  readonly rewind: readonly Duration[];
  /** Controls (kinds of @rewind/kinds) trained beside every ticket. */
  readonly controls: readonly string[];
  readonly stability?: StabilitySpec;
  /** Resumable training checkpoints this often; not part of any experiment hash. */
  readonly checkpointEvery: Duration;
}

export interface SpecIssue {
  readonly field: string;
  readonly message: string;
}

export class SpecError extends Error {
  override name = 'SpecError';
  constructor(readonly issues: readonly SpecIssue[]) {
    super(`invalid sweep spec:\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n')}`);
  }
}

export const DEFAULT_DATASET_DIRS: Readonly<Record<string, string>> = {
  fashion_mnist: '/usr/share/datasets/fashion-mnist',
  mnist: '/usr/share/datasets/mnist',
  cifar10: './data/cifar-10-batches-bin',
  synthetic: '',
};

type Raw = Record<string, unknown>;

/** Seeds are uint32, as every RNG in Rewind takes them. */
const MAX_SEED = 2 ** 32 - 1;

/** Reads typed fields from a raw object, recording every problem instead of stopping at the first. */
class Reader {
  constructor(
    private readonly issues: SpecIssue[],
    private readonly raw: Raw,
    private readonly path: string,
    allowed: readonly string[],
    /** A missing or malformed section is reported once, not once per field inside it. */
    private readonly silent = false,
  ) {
    for (const key of Object.keys(raw)) {
      if (!allowed.includes(key)) this.fail(key, `unknown field; allowed fields are ${allowed.join(', ')}`);
    }
  }

  private field(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  fail(key: string, message: string): void {
    if (!this.silent) this.issues.push({ field: this.field(key), message });
  }

  section(key: string, allowed: readonly string[], required = true): Reader | undefined {
    const v = this.raw[key];
    if (v === undefined && !required) return undefined;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      this.fail(key, v === undefined ? 'required section is missing' : `must be a mapping, found ${describe(v)}`);
      return new Reader(this.issues, {}, this.field(key), allowed, true);
    }
    return new Reader(this.issues, v as Raw, this.field(key), allowed);
  }

  string(key: string, fallback?: string): string {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'string' || v.length === 0) {
      this.fail(key, v === undefined ? 'required' : `must be a non-empty string, found ${describe(v)}`);
      return '';
    }
    return v;
  }

  choice<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.fail(key, `${v === undefined ? 'required' : `unknown value ${JSON.stringify(v)}`}; allowed values are ${allowed.join(', ')}`);
      return allowed[0]!;
    }
    return v as T;
  }

  number(key: string, opts: { fallback?: number; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }): number {
    const v = this.raw[key] ?? opts.fallback;
    const range = rangeText(opts);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(key, `${v === undefined ? 'required' : `must be a number, found ${describe(v)}`}${range ? `; allowed: ${range}` : ''}`);
      return opts.fallback ?? 0;
    }
    const tooLow = opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min);
    if ((opts.integer && !Number.isInteger(v)) || tooLow || (opts.max !== undefined && v > opts.max)) {
      this.fail(key, `${v} is out of range; allowed: ${range}`);
    }
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') {
      this.fail(key, `must be true or false, found ${describe(v)}`);
      return fallback;
    }
    return v;
  }

  duration(key: string, fallback?: string): Duration {
    const v = this.raw[key] ?? fallback;
    const d = typeof v === 'string' ? parseDuration(v) : undefined;
    if (!d) {
      this.fail(key, `${v === undefined ? 'required' : `cannot read ${JSON.stringify(v)}`}; write a length as 500it, 4ep or 4ep100it`);
      return { epochs: 0, iterations: 0 };
    }
    return d;
  }

  list<T>(key: string, fallback: unknown[] | undefined, item: (value: unknown, field: string) => T | undefined): T[] {
    const v = this.raw[key] ?? fallback;
    if (!Array.isArray(v)) {
      this.fail(key, v === undefined ? 'required list is missing' : `must be a list, found ${describe(v)}`);
      return [];
    }
    const out: T[] = [];
    v.forEach((x, i) => {
      const parsed = item(x, this.field(`${key}[${i}]`));
      if (parsed !== undefined) out.push(parsed);
    });
    return out;
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  push(field: string, message: string): void {
    this.issues.push({ field, message });
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

function rangeText(o: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }): string {
  const kind = o.integer ? 'an integer' : 'a number';
  if (o.min !== undefined && o.max !== undefined) return `${kind} in ${o.exclusiveMin ? '(' : '['}${o.min}, ${o.max}]`;
  if (o.min !== undefined) return `${kind} ${o.exclusiveMin ? '>' : '≥'} ${o.min}`;
  return o.integer ? kind : '';
}

/** Keys only image datasets take: the crop size, and what the index says (pinned in the spec, or filled in from it). */
const IMAGE_DATASET_KEYS = ['image_size', 'classes', 'train_size', 'on_corrupt'] as const;

function inMemoryDataset(d: Reader, name: DatasetName): DatasetHparams {
  for (const key of IMAGE_DATASET_KEYS) if (d.has(key)) d.fail(key, `only image datasets (${IMAGE_DATASETS.join(', ')}) take ${key}`);
  const augmentable = AUGMENTABLE_DATASETS.includes(name);
  const augment = d.boolean('augment', augmentable);
  if (augment && !augmentable) {
    d.fail('augment', `true is allowed only for datasets with an augmentation recipe: ${AUGMENTABLE_DATASETS.join(', ')}`);
  }
  return {
    name,
    dir: name === 'synthetic' ? '' : d.string('dir', DEFAULT_DATASET_DIRS[name]),
    trainSubset: d.number('train_subset', { fallback: 0, min: 0, integer: true }),
    ...(augment && augmentable ? { augment: true as const } : {}),
  };
}

/** An image dataset always trains with RandomResizedCrop and flip, over its whole training split. */
function imageDataset(d: Reader, name: DatasetName): DatasetHparams {
  if (d.has('train_subset')) d.fail('train_subset', `${name} trains on its whole training split; pack a smaller one with \`rewind data pack\``);
  if (d.has('augment')) d.fail('augment', `${name} always trains with RandomResizedCrop and flip; the field does not apply`);
  const optional = (key: string, min: number, max: number) =>
    d.has(key) ? { value: d.number(key, { min, max, integer: true }) } : undefined;
  const classes = optional('classes', 2, 100_000);
  const trainSize = optional('train_size', 1, 100_000_000);
  return {
    name,
    dir: d.string('dir'),
    trainSubset: 0,
    imageSize: d.number('image_size', { fallback: 224, min: 32, max: 512, integer: true }),
    ...(classes ? { classes: classes.value } : {}),
    ...(trainSize ? { trainSize: trainSize.value } : {}),
    onCorrupt: d.choice('on_corrupt', CORRUPT_IMAGE_POLICIES, 'error'),
  };
}

/** Validates a raw spec against the experiment kinds of `catalog` (@rewind/kinds' `parseSweepSpec` passes its own). */
export function parseSpec(raw: unknown, catalog: KindCatalog): SweepSpec {
  const issues: SpecIssue[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SpecError([{ field: '(root)', message: 'the spec must be a mapping' }]);
  const top = new Reader(issues, raw as Raw, '', [
    'name',
    'model',
    'seeds',
    'dataset',
    'training',
    'pruning',
    'rewind',
    'controls',
    'stability',
    'checkpoint_every',
  ]);

  const m = top.section('model', ['name', 'width'])!;
  const model = { name: m.choice('name', MODEL_NAMES), width: m.number('width', { fallback: 1, min: 1, max: 64, integer: true }) };

  const d = top.section('dataset', ['name', 'dir', 'train_subset', 'augment', ...IMAGE_DATASET_KEYS])!;
  const datasetName = d.choice('name', DATASET_NAMES);
  const dataset = IMAGE_DATASETS.includes(datasetName) ? imageDataset(d, datasetName) : inMemoryDataset(d, datasetName);

  const t = top.section('training', [
    'optimizer',
    'lr',
    'momentum',
    'weight_decay',
    'batch_size',
    'steps',
    'warmup',
    'milestones',
    'gamma',
    'data_order_seed',
    'eval_every',
  ])!;
  const steps = t.duration('steps');
  const training: TrainingHparams = {
    optimizer: t.choice('optimizer', ['sgd'] as const, 'sgd'),
    lr: t.number('lr', { min: 0, max: 100, exclusiveMin: true }),
    momentum: t.number('momentum', { fallback: 0, min: 0, max: 1 }),
    weightDecay: t.number('weight_decay', { fallback: 0, min: 0, max: 1 }),
    batchSize: t.number('batch_size', { min: 1, max: 65_536, integer: true }),
    steps,
    warmup: t.duration('warmup', '0it'),
    milestones: t.list('milestones', [], (v, field) => {
      const parsed = typeof v === 'string' ? parseDuration(v) : undefined;
      if (!parsed) top.push(field, `cannot read ${JSON.stringify(v)}; write a length as 500it, 4ep or 4ep100it`);
      return parsed;
    }),
    gamma: t.number('gamma', { fallback: 0.1, min: 0, max: 1, exclusiveMin: true }),
    dataOrderSeed: t.number('data_order_seed', { fallback: 0, min: 0, max: MAX_SEED, integer: true }),
    evalEvery: t.duration('eval_every', formatDuration(steps)),
  };

  const p = top.section('pruning', ['strategy', 'fraction', 'rounds', 'exclude'])!;
  const pruning: PruningHparams = {
    strategy: p.choice('strategy', PRUNING_STRATEGIES, 'global_magnitude'),
    fraction: p.number('fraction', { fallback: 0.2, min: 0, max: 0.99, exclusiveMin: true }),
    rounds: p.number('rounds', { min: 1, max: 100, integer: true }),
    excludedLayers: p.list('exclude', [], (v, field) => {
      if (typeof v === 'string' && v) return v;
      top.push(field, `must be a layer name, found ${describe(v)}`);
      return undefined;
    }),
  };

  const spec: SweepSpec = {
    name: top.string('name'),
    model,
    seeds: top.list('seeds', [0], (v, field) => {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SEED) return v;
      top.push(field, `must be an integer in [0, ${MAX_SEED}] (a uint32), found ${describe(v)}`);
      return undefined;
    }),
    dataset,
    training,
    pruning,
    rewind: top.list('rewind', ['0it'], (v, field) => {
      const parsed = typeof v === 'string' ? parseDuration(v) : undefined;
      if (!parsed) top.push(field, `cannot read ${JSON.stringify(v)}; write a rewind point as 0it, 500it or 4ep`);
      return parsed;
    }),
    controls: top.list('controls', [], (v, field) => {
      if (typeof v === 'string' && catalog.controls.includes(v)) return v;
      top.push(field, `unknown control ${JSON.stringify(v)}; allowed values are ${catalog.controls.join(', ')}`);
      return undefined;
    }),
    checkpointEvery: top.duration('checkpoint_every', '1ep'),
    ...parseStability(top, catalog),
  };
  if (spec.seeds.length === 0) issues.push({ field: 'seeds', message: 'needs at least one seed' });
  if (spec.rewind.length === 0) issues.push({ field: 'rewind', message: 'needs at least one rewind point' });
  if (issues.length > 0) throw new SpecError(issues);
  return spec;
}

function parseStability(top: Reader, catalog: KindCatalog): { stability?: StabilitySpec } {
  const options = catalog.analyses.flatMap((a) => a.options);
  const keys = [...new Set(options.map((o) => o.key))];
  const s = top.section('stability', ['analyses', 'copies', 'rounds', ...keys], false);
  if (!s) return {};
  const names = catalog.analyses.map((a) => a.name);
  const byDefault = catalog.analyses.filter((a) => !a.optIn).map((a) => a.name);
  const analyses = s.list('analyses', byDefault, (v, field) => {
    if (typeof v === 'string' && names.includes(v)) return v;
    top.push(field, `unknown analysis ${JSON.stringify(v)}; allowed values are ${names.join(', ')}`);
    return undefined;
  });
  return {
    stability: {
      analyses,
      copies: s.number('copies', { fallback: 2, min: 2, max: 64, integer: true }),
      options: Object.fromEntries(keys.map((key) => [key, s.number(key, options.find((o) => o.key === key)!)])),
      ...(s.has('rounds')
        ? {
            rounds: s.list('rounds', undefined, (v, field) => {
              if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
              top.push(field, `must be a round number ≥ 0, found ${describe(v)}`);
              return undefined;
            }),
          }
        : {}),
    },
  };
}

/**
 * What an image dataset's index said, as `dataset` keys of the written spec (classes, train_size), or
 * nothing for other datasets. Written into a prepared spec's stored copy, they make it plan the same sweep
 * when parsed again (a run directory, a coordinator's restart), and fail if the index changed.
 */
export function indexPins(spec: SweepSpec): Readonly<Record<string, number>> | undefined {
  if (!isImageDataset(spec.dataset)) return undefined;
  return { classes: spec.dataset.classes!, train_size: spec.dataset.trainSize! };
}

/** The written form of a prepared spec, with its index pins in its `dataset` section. */
export function pinnedWrittenSpec(raw: Record<string, unknown>, spec: SweepSpec): Record<string, unknown> {
  const pins = indexPins(spec);
  return pins ? { ...raw, dataset: { ...(raw.dataset as Record<string, unknown>), ...pins } } : raw;
}
