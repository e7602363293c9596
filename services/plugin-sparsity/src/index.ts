export { sparsityPlugin } from './sparsity-plugin.ts';
