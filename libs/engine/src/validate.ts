/** Rejects a TrainRequest whose state, mask or length cannot belong to the model, before any work. */
import { type HostTensor, type Mask, sizeOf, type TensorSet, type TrainState } from '@rewind/core';
import type { ModelDefinition } from './models/model.ts';

export function validateRequest(
  model: ModelDefinition,
  start: TrainState,
  mask: Mask | undefined,
  endStep: number,
  numClasses: number,
): void {
  const fail = (detail: string) => {
    throw new Error(`invalid train request for ${model.name}: ${detail}`);
  };
  if (!Number.isInteger(start.step) || start.step < 0) fail(`start step ${start.step} is not a whole number`);
  if (!Number.isInteger(endStep) || endStep < start.step) fail(`endStep ${endStep} is before start step ${start.step}`);
  for (const name of model.prunable) if (!start.params[name]) fail(`start state lacks parameter ${name}`);
  const outputs = start.params[model.outputLayer]?.shape.at(-1);
  if (outputs !== numClasses) fail(`the output layer has ${outputs} outputs, the dataset ${numClasses} classes`);
  checkAgainstParams('mask', mask ?? {}, start.params, fail);
  const momentumNames = Object.keys(start.momentum);
  if (momentumNames.length > 0) {
    checkAgainstParams('momentum', start.momentum, start.params, fail);
    const missing = Object.keys(start.params).filter((name) => !start.momentum[name]);
    if (missing.length > 0) fail(`momentum lacks ${missing.join(', ')}`);
  }
  for (const [name, t] of Object.entries({ ...start.params, ...start.buffers })) {
    if (t.data.length !== sizeOf(t.shape)) fail(`${name} has ${t.data.length} values for shape [${t.shape}]`);
  }
}

function checkAgainstParams(
  what: string,
  set: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>>,
  params: TensorSet,
  fail: (detail: string) => never,
): void {
  for (const [name, t] of Object.entries(set)) {
    const param: HostTensor | undefined = params[name];
    if (!param) fail(`${what} names ${name}, which is not a parameter`);
    else if (param.shape.join() !== t.shape.join() || t.data.length !== param.data.length) {
      fail(`${what} ${name} has shape [${t.shape}], the parameter [${param.shape}]`);
    }
  }
}
