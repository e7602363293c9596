/** plugin-sparsity: the sparsity analysis plug-in as a service (env: NATS_URL, STORE_ADDRESS, HEALTH_PORT, …). */
import { runPlugin } from '@rewind/plugin-sdk';
import { sparsityPlugin } from './sparsity-plugin.ts';

await runPlugin(sparsityPlugin);
