/** The Pruner port as a client of the pruner service. */
import type { Pruner, PruneJob } from '@rewind/runner';
import { type PruneRequest, PrunerServiceClient } from '../generated/rewind/v1/pruner.ts';
import { type CallSettings, channelOptions, insecure, unary } from './client.ts';
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

/** Field order as the runner writes prune jobs; the lineage's order ends up in the mask's bytes. */
export function pruneJobFromMessage(m: PruneRequest): PruneJob {
  if (m.weightsId === '') throw new Error('prune request: weights_id is required');
  if (m.method === undefined) throw new Error('prune request: a method (magnitude or random_like) is required');
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
    this.client = new PrunerServiceClient(address, insecure(), channelOptions());
    this.settings = { server: `pruner at ${address}`, ...settings };
  }

  close(): void {
    this.client.close();
  }

  async prune(job: PruneJob): Promise<string> {
    return (await unary(this.settings, this.client.prune.bind(this.client), pruneJobToMessage(job))).maskId;
  }
}
