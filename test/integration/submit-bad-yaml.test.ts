/** `rewind submit` of a file that is not a spec: a clear error the CLI exits 2 on, before any connection. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { submit } from '@rewind/cluster-client';
import { InvalidArgumentError } from '@rewind/rpc';
import { parse } from 'yaml';
import { tempDir } from './cluster-helpers.ts';

const BAD: Record<string, [string, RegExp]> = {
  'bad syntax': ['name: [unclosed\nmodel: {', /is not valid YAML or JSON/],
  'duplicate keys': ['name: a\nname: b\n', /is not valid YAML or JSON: .*(uplicate|unique)/i],
  'alias bomb': [
    ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n'),
    /is not valid YAML or JSON: .*alias/i,
  ],
  'deep nesting': [`${'['.repeat(100_000)}${']'.repeat(100_000)}`, /is not valid YAML or JSON/],
};

describe('submit refuses files that are not specs', () => {
  for (const [what, [text, message]] of Object.entries(BAD)) {
    it(what, async () => {
      const file = join(await tempDir('submit-yaml'), 'spec.yaml');
      await writeFile(file, text);
      // Port 1: nothing listens there, so reaching the network would fail differently (UNAVAILABLE).
      await assert.rejects(submit(file, { coordinator: '127.0.0.1:1' }, parse), (err: Error) => {
        assert.ok(err instanceof InvalidArgumentError, `${err.name}: ${err.message.slice(0, 200)}`);
        assert.match(err.message, message);
        assert.ok(err.message.length < 2000);
        return true;
      });
    });
  }

  it('a missing file', async () => {
    await assert.rejects(submit('/nonexistent/spec.yaml', { coordinator: '127.0.0.1:1' }, parse), /cannot read spec \/nonexistent\/spec\.yaml: no such file/);
  });
});
