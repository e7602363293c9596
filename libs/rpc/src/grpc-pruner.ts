/** The Pruner port as a client of the pruner service. */
import { checkCheckpointId, checkName, quoteBounded } from '@rewind/core';
import type { Pruner, PruneJob } from '@rewind/runner';
import { type PruneRequest, PrunerServiceClient } from '../generated/rewind/v1/pruner.ts';
import { type CallSettings, channelOptions, unary } from './client.ts';
import { InvalidArgumentError } from './errors.ts';
import { serviceRetry } from './retry.ts';
import { channelCredentials } from './tls.ts';
import { pruningFromMessage, pruningToMessage } from './hparams-convert.ts';
import { lineageToMessage, partialLineageFromMessage } from './lineage-convert.ts';

export function pruneJobToMessage(job: PruneJob): PruneRequest {
  return {
    weightsId: job.weightsId,
    maskId: job.maskId,
    prunable: [...job.prunable],
    method:
      job.method.kind === 'magnitude'
        ? { $case: 'magnitude', value: pruningToMessage(job.method.pruning) }
        : { $case: 'randomLike', value: { seed: job.method.seed } },
    lineage: lineageToMessage(job.lineage),
  };
}

const MAX_PRUNABLE = 10_000;

/**
 * Field order as the runner writes prune jobs; the lineage's order ends up in the mask's bytes. Everything
 * is checked before any checkpoint is read, so a bad request is INVALID_ARGUMENT at once.
 */
export function pruneJobFromMessage(m: PruneRequest): PruneJob {
  const invalid = (what: string) => new InvalidArgumentError(`prune request: ${what}`);
  if (m.weightsId === '') throw invalid('weights_id is required');
  checkCheckpointId(m.weightsId, 'prune request: weights_id');
  if (m.maskId !== undefined) checkCheckpointId(m.maskId, 'prune request: mask_id');
  if (m.method === undefined) throw invalid('a method (magnitude or random_like) is required');
  if (m.prunable.length === 0) throw invalid('prunable must name at least one parameter');
  if (m.prunable.length > MAX_PRUNABLE) throw invalid(`prunable names ${m.prunable.length} parameters, more than ${MAX_PRUNABLE}`);
  for (const name of m.prunable) checkName('prune request: prunable parameter', name);
  if (m.method.$case === 'magnitude') {
    const { fraction } = m.method.value;
    if (!(Number.isFinite(fraction) && fraction > 0 && fraction < 1)) {
      throw invalid(`fraction ${quoteBounded(String(fraction))} must be a number in (0, 1)`);
    }
  } else if (m.maskId === undefined) {
    throw invalid('random_like needs mask_id: its per-layer counts come from that mask');
  }
  const { kind: _kind, ...lineage } = partialLineageFromMessage(m.lineage, 'prune request');
  return {
    weightsId: m.weightsId,
    ...(m.maskId !== undefined ? { maskId: m.maskId } : {}),
    prunable: [...m.prunable],
    method:
      m.method.$case === 'magnitude'
        ? { kind: 'magnitude', pruning: pruningFromMessage(m.method.value) }
        : { kind: 'random_like', seed: m.method.value.seed },
    lineage,
  };
}

export class GrpcPruner implements Pruner {
  private readonly client: PrunerServiceClient;
  private readonly settings: CallSettings;

  constructor(address: string, settings: Partial<CallSettings> = {}) {
    this.client = new PrunerServiceClient(address, settings.credentials ?? channelCredentials(), channelOptions());
    this.settings = { server: `pruner at ${address}`, retry: serviceRetry(), ...settings };
  }

  close(): void {
    this.client.close();
  }

  async prune(job: PruneJob): Promise<string> {
    return (await unary(this.settings, this.client.prune.bind(this.client), pruneJobToMessage(job))).maskId;
  }
}
