import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, ProtocolError, FRAME_PREFIX_BYTES } from './frame.js';
import { packInputs, packOutputs, unpackOutputs } from './tensors.js';

function concat(chunks: Uint8Array[]): Buffer {
  return Buffer.concat(chunks);
}

describe('frames', () => {
  const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const frames = [
    concat(encodeFrame({ type: 'exec', id: 1, op: 'aten.add.Tensor' }, [body.subarray(0, 300), body.subarray(300)])),
    concat(encodeFrame({ type: 'close', id: 2 })),
    concat(encodeFrame({ type: 'result', id: 3, note: 'ünïcødé' }, [Buffer.from([1, 2, 3])])),
  ];
  const stream = Buffer.concat(frames);

  function check(decoded: { header: Record<string, unknown>; body: Buffer }[]): void {
    expect(decoded.map((f) => f.header.id)).toEqual([1, 2, 3]);
    expect(decoded[0]?.body.equals(body)).toBe(true);
    expect(decoded[1]?.body.byteLength).toBe(0);
    expect(decoded[2]?.header.note).toBe('ünïcødé');
    expect([...(decoded[2]?.body ?? [])]).toEqual([1, 2, 3]);
  }

  it('round-trips frames delivered in one coalesced chunk', () => {
    check(new FrameDecoder().push(stream));
  });

  it('round-trips frames delivered one byte at a time', () => {
    const d = new FrameDecoder();
    const out = [];
    for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
    check(out);
    expect(d.midFrame).toBe(false);
  });

  it('round-trips frames split at every possible boundary pair', () => {
    for (const size of [2, 7, 15, 16, 17, 64, 333]) {
      const d = new FrameDecoder();
      const out = [];
      for (let i = 0; i < stream.length; i += size) out.push(...d.push(stream.subarray(i, i + size)));
      check(out);
    }
  });

  it('rejects a header larger than the limit before reading it', () => {
    const d = new FrameDecoder({ maxHeaderBytes: 100, maxBodyBytes: 1 << 20 });
    const big = concat(encodeFrame({ pad: 'x'.repeat(200) }));
    expect(() => d.push(big.subarray(0, FRAME_PREFIX_BYTES))).toThrow(/frame header of \d+ bytes/);
  });

  it('rejects a body larger than the limit before allocating it', () => {
    const d = new FrameDecoder({ maxHeaderBytes: 1000, maxBodyBytes: 10 });
    expect(() => d.push(concat(encodeFrame({ id: 1 }, [Buffer.alloc(11)])))).toThrow(ProtocolError);
    expect(() => encodeFrame({ id: 1 }, [Buffer.alloc(11)], { maxHeaderBytes: 1000, maxBodyBytes: 10 })).toThrow(/exceeds the limit/);
  });

  it('rejects bytes that are not a frame and stays broken afterwards', () => {
    const d = new FrameDecoder();
    expect(() => d.push(Buffer.from('hello world, this is stdout\n'))).toThrow(/expected magic "ACRT"/);
    expect(() => d.push(frames[1] ?? Buffer.alloc(0))).toThrow(ProtocolError);
  });

  it('hands out the whole frames that came before a break in the same chunk, then tells of the break', () => {
    const d = new FrameDecoder();
    const good = concat(encodeFrame({ id: 1 }, [Buffer.alloc(8, 7)]));
    const got = d.push(Buffer.concat([good, Buffer.from('segfault at 0000 ip 00007f3a\n')]));
    expect(got.map((f) => f.header)).toEqual([{ id: 1 }]);
    expect(d.failure?.message).toMatch(/expected magic "ACRT", got 0x73656766/);
    expect(() => d.push(good)).toThrow(ProtocolError);
  });

  it('says how much of a frame in progress arrived', () => {
    const d = new FrameDecoder();
    const whole = concat(encodeFrame({ id: 1 }, [Buffer.alloc(100)]));
    d.push(whole.subarray(0, 5));
    expect(d.describePartial()).toBe('5 bytes of a frame');
    d.push(whole.subarray(5, 40));
    expect(d.midFrame).toBe(true);
    expect(d.describePartial()).toBe(`40 of its ${whole.byteLength} bytes`);
  });

  it('rejects a header that is not a JSON object', () => {
    const bad = Buffer.concat([encodeFrame({ a: 1 })[0] ?? Buffer.alloc(0)]);
    bad.write('[1,2,3]', FRAME_PREFIX_BYTES);
    expect(() => new FrameDecoder().push(bad)).toThrow(/not a JSON object/);
  });
});

describe('tensor bodies', () => {
  it('lays input storages out aligned and describes their views', () => {
    const a = { dtype: 'float32' as const, shape: [2, 3], strides: [1, 2], offset: 0, storage: new Uint8Array(24).fill(1) };
    const b = { dtype: 'int64' as const, shape: [2], strides: [1], offset: 1, storage: new Uint8Array(24).fill(2) };
    const p = packInputs([a, b]);
    expect(p.headers.map((h) => [h.byteOffset, h.byteLength])).toEqual([
      [0, 24],
      [64, 24],
    ]);
    expect(p.bodyBytes).toBe(88);
    expect(Buffer.concat(p.chunks).byteLength).toBe(88);
  });

  it('refuses to send a view that reaches beyond its storage', () => {
    const t = { dtype: 'float32' as const, shape: [4], strides: [2], offset: 0, storage: new Uint8Array(16) };
    expect(() => packInputs([t])).toThrow(/beyond its storage/);
  });

  it('reads contiguous outputs back and checks their byte lengths', () => {
    const t = { dtype: 'int32' as const, shape: [2, 2], strides: [2, 1], offset: 0, storage: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]) };
    const p = packOutputs([t, t]);
    const body = Buffer.concat(p.chunks);
    const [x] = unpackOutputs(p.headers, body);
    expect(x?.strides).toEqual([2, 1]);
    expect([...(x?.storage ?? [])]).toEqual([...t.storage]);
    expect(() => unpackOutputs([{ dtype: 'int32', shape: [5], byteOffset: 0, byteLength: 16 }], body)).toThrow(/expected 20/);
    expect(() => unpackOutputs([{ dtype: 'int32', shape: [4], byteOffset: 80, byteLength: 16 }], body)).toThrow(/outside the frame body/);
  });
});
