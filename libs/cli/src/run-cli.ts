/** `rewind` as a process: bin/rewind.mjs loads this through tsx; the dev cluster bundles it for tests. */
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
