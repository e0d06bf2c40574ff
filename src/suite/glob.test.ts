import { describe, expect, it } from 'vitest';
import { compileExactGlob, compileGlob } from './glob.js';

describe('case-id globs', () => {
  const id = 'core/binary/aten.add.Tensor/float16/broadcast-4x1x8';

  it('select a case by its full id, by a leading run of segments, or by wildcards', () => {
    expect(compileGlob(id)(id)).toBe(true);
    expect(compileGlob('core/binary/aten.add.Tensor')(id)).toBe(true);
    expect(compileGlob('core/*/aten.add.Tensor/float16/*')(id)).toBe(true);
    expect(compileGlob('**/broadcast-*')(id)).toBe(true);
    expect(compileGlob('core/**/float16/**')(id)).toBe(true);
  });

  it('do not match across a segment with a single star or by a partial segment', () => {
    expect(compileGlob('core/*/float16')(id)).toBe(false);
    expect(compileGlob('core/binary/aten.add')(id)).toBe(false);
    expect(compileGlob('core/binary/aten.add.Tensor/float1')(id)).toBe(false);
  });

  it('treat regex metacharacters in ids literally', () => {
    expect(compileGlob('core/binary/aten.add.Tensor')('core/binary/atenXaddXTensor/float16')).toBe(false);
  });

  it('exact globs match the whole text only', () => {
    expect(compileExactGlob('NVIDIA H100*')('NVIDIA H100 80GB HBM3')).toBe(true);
    expect(compileExactGlob('core/binary')(id)).toBe(false);
  });
});
