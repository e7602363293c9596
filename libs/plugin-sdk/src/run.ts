/**
 * Running a plug-in as a service: connect, wait for the streams (the coordinator declares them), open the durable consumer, serve gRPC
 * health (NOT_SERVING while NATS is disconnected), and drain on SIGTERM.
 */
import { awaitJetStream, connectNats } from '@rewind/nats-ports';
import { GrpcCheckpointStore, runService, type Service, ServingStatus, startHealthServer } from '@rewind/rpc';
import { type PluginConfig, readPluginConfig } from './config.ts';
import type { PluginDefinition, PluginEventType } from './define.ts';
import { PluginWorker } from './worker.ts';

export interface RunningPlugin extends Service {
  readonly healthPort: number;
}

export async function startPlugin<T extends PluginEventType>(plugin: PluginDefinition<T>, config: PluginConfig): Promise<RunningPlugin> {
  const nc = await connectNats(config.natsUrl, { name: `plugin-${plugin.name}` });
  await awaitJetStream(nc);
  const store = new GrpcCheckpointStore(config.store);
  const worker = await PluginWorker.open(nc, plugin, store, { ackWaitMs: config.ackWaitMs, maxDeliver: config.maxDeliver });
  const server = await startHealthServer(config.healthHost, config.healthPort);
  worker.start();
  server.health.set(ServingStatus.SERVING);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') server.health.set(ServingStatus.NOT_SERVING);
      if (s.type === 'reconnect') server.health.set(ServingStatus.SERVING);
    }
  })();
  return {
    healthPort: server.port,
    banner: `plugin ${plugin.name}@${plugin.version} consuming ${worker.filter} as ${worker.durable} (nats ${config.natsUrl}, store ${config.store}, health on ${config.healthHost}:${server.port})`,
    async stop() {
      server.health.set(ServingStatus.NOT_SERVING);
      await worker.stop(config.shutdownGraceMs);
      await nc.drain();
      await server.shutdown();
      store.close();
    },
  };
}

/** The plug-in's process: configuration from the environment (exit 2 naming every bad variable), signals, telemetry. */
export function runPlugin<T extends PluginEventType>(plugin: PluginDefinition<T>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return runService(`plugin-${plugin.name}`, () => startPlugin(plugin, readPluginConfig(plugin.name, env)));
}
