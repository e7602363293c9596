export { type Certificates, type IdentityFiles, makeCertificates } from './certificates.ts';
export { Child, type ChildSpec } from './child-process.ts';
export { type Cluster, type ClusterOptions, type Part, startCluster } from './cluster.ts';
export { freePort } from './free-port.ts';
export { type LocalServer, type NatsServerOptions, S3RVER_CREDENTIALS, startNatsServer, startS3rver } from './local-servers.ts';
export { rewindCommand, serviceCommand } from './service-bundles.ts';
export { scaled, timeScale } from './time-scale.ts';
