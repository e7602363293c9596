import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCheckpointId, checkName, checkPathName, InvalidNameError } from '../src/names.ts';

describe('names', () => {
  it('accepts plain and hierarchical names', () => {
    assert.equal(checkName('sweep name', 'quick-2.v1_a'), 'quick-2.v1_a');
    assert.equal(checkPathName('ref name', 'resume/ticket_1/k200'), 'resume/ticket_1/k200');
  });

  it('refuses anything a store or file system would read as a path step', () => {
    for (const bad of ['x/../../checkpoints/abc.json', 'resume/../../x', '../x', '/abs', 'a//b', 'a/', '.hidden', 'a/./b', 'a\\b', 'a b', 'é', '']) {
      assert.throws(() => checkPathName('ref name', bad), InvalidNameError, bad);
    }
    for (const bad of ['a/b', '..', '../../../../x', '.']) assert.throws(() => checkName('spec name', bad), InvalidNameError, bad);
  });

  it('bounds length and quotes huge values briefly in the error', () => {
    const huge = 'a'.repeat(100_000);
    assert.throws(() => checkName('sweep name', huge), (e: Error) => e instanceof InvalidNameError && e.message.length < 300);
    assert.throws(() => checkPathName('ref name', Array(9).fill('a').join('/')), InvalidNameError);
  });

  it('checks checkpoint ids as 64 lowercase hex digits', () => {
    assert.equal(checkCheckpointId('a'.repeat(64)), 'a'.repeat(64));
    for (const bad of ['A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), `${'a'.repeat(62)}..`, '']) {
      assert.throws(() => checkCheckpointId(bad), InvalidNameError, bad);
    }
  });
});
