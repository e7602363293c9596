/**
 * The spec checks that need the model, in one place: `rewind run` and the coordinator's submit both call
 * this before any training, so a typo fails in a second with the field named, not after the dense trunk.
 */
import { DATASET_INPUT_SHAPES, planSweep, SpecError, type SpecIssue, type SweepSpec } from '@rewind/core';
import { getModel } from './models/registry.ts';

export function checkSpecAgainstModel(spec: SweepSpec): void {
  const model = getModel(spec.model.name);
  const issues: SpecIssue[] = [];
  const unknown = spec.pruning.excludedLayers.filter((name) => !model.prunable.includes(name));
  if (unknown.length > 0) {
    issues.push({ field: 'pruning.exclude', message: `${unknown.join(', ')} not a prunable layer of ${model.name}; allowed values are ${model.prunable.join(', ')}` });
  }
  const [h, w] = DATASET_INPUT_SHAPES[spec.dataset.name];
  if (h < model.minInputSize || w < model.minInputSize) {
    issues.push({
      field: 'model.name',
      message: `${model.name} needs inputs of at least ${model.minInputSize}x${model.minInputSize} (designed for ${model.nominalInputShape.join('x')}); ${spec.dataset.name} has ${h}x${w}`,
    });
  }
  if (issues.length > 0) throw new SpecError(issues);
  // What planning refuses (a batch larger than the training set, a rewind point past the end).
  planSweep(spec);
}
