/**
 * The spec checks that need the model or the data, in one place: `rewind run` and the coordinator's submit
 * both call `prepareSpec` before any training, so a typo fails in a second with the field named, not after
 * the dense trunk.
 */
import { datasetInputShape, isImageDataset, planSweep, SpecError, type SpecIssue, type SweepSpec } from '@rewind/core';
import { getModel } from './models/registry.ts';

/** The spec with what its data says filled in (an image dataset's classes and training-set size), checked. */
export async function prepareSpec(spec: SweepSpec): Promise<SweepSpec> {
  const prepared = isImageDataset(spec.dataset) ? await withImageIndex(spec) : spec;
  checkSpecAgainstModel(prepared);
  return prepared;
}

/** Reads the shards' index; numbers the spec pins must match it (a sweep planned for other data fails here). */
async function withImageIndex(spec: SweepSpec): Promise<SweepSpec> {
  const { readImageIndex, splitSize } = await import('@rewind/image-data');
  const index = await readImageIndex(spec.dataset.dir);
  const classes = index.classes.length;
  const trainSize = splitSize(index, 'train');
  const issues: SpecIssue[] = [];
  const pinned = (field: string, value: number | undefined, found: number) => {
    if (value !== undefined && value !== found) issues.push({ field: `dataset.${field}`, message: `${value}, but the index at ${spec.dataset.dir} has ${found}` });
  };
  pinned('classes', spec.dataset.classes, classes);
  pinned('train_size', spec.dataset.trainSize, trainSize);
  if (issues.length > 0) throw new SpecError(issues);
  return { ...spec, dataset: { ...spec.dataset, classes, trainSize } };
}

export function checkSpecAgainstModel(spec: SweepSpec): void {
  const model = getModel(spec.model.name);
  const issues: SpecIssue[] = [];
  const unknown = spec.pruning.excludedLayers.filter((name) => !model.prunable.includes(name));
  if (unknown.length > 0) {
    issues.push({ field: 'pruning.exclude', message: `${unknown.join(', ')} not a prunable layer of ${model.name}; allowed values are ${model.prunable.join(', ')}` });
  }
  const [h, w] = datasetInputShape(spec.dataset);
  if (h < model.minInputSize || w < model.minInputSize) {
    issues.push({
      field: isImageDataset(spec.dataset) ? 'dataset.image_size' : 'model.name',
      message: `${model.name} needs inputs of at least ${model.minInputSize}x${model.minInputSize} (designed for ${model.nominalInputShape.join('x')}); ${spec.dataset.name} has ${h}x${w}`,
    });
  }
  if (isImageDataset(spec.dataset) && (spec.dataset.classes === undefined || spec.dataset.trainSize === undefined)) {
    issues.push({ field: 'dataset.train_size', message: `not known before the index at ${spec.dataset.dir} is read (prepareSpec), nor pinned in the spec` });
  }
  if (issues.length > 0) throw new SpecError(issues);
  // What planning refuses (a batch larger than the training set, a rewind point past the end).
  planSweep(spec);
}
