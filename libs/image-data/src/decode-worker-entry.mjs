// A worker thread does not inherit the parent's module hooks, so it registers tsx before loading the
// TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./decode-worker.ts');
