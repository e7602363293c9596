#!/usr/bin/env node
// Rewind is written in TypeScript and run through tsx, so there is no build step between edit and run.
import { register } from 'tsx/esm/api';

register();
await import('../src/run-cli.ts');
