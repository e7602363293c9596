/**
 * A MinIO client for the configured server: path-style, over kept-alive connections bounded in number
 * (requests beyond them queue in the agent), trusting the configured CA over https.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Client } from 'minio';
import type { S3Config } from './s3-config.ts';

export function s3Client(config: Omit<S3Config, 'bucket' | 'chunkBytes'>): Client {
  const pool = { keepAlive: true, maxSockets: config.maxConnections };
  return new Client({
    endPoint: config.endPoint,
    port: config.port,
    useSSL: config.useSSL,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    region: config.region,
    pathStyle: true,
    transportAgent: config.useSSL ? new HttpsAgent({ ...pool, ...(config.ca !== undefined ? { ca: config.ca } : {}) }) : new HttpAgent(pool),
  });
}
