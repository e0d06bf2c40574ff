/**
 * Framing of the accelcert worker protocol: every message is one frame,
 *
 *   magic "ACRT" (4 bytes) | header length (u32 LE) | body length (u64 LE) | JSON header (UTF-8) | body
 *
 * The header is a JSON object (the message); the body holds raw little-endian tensor bytes that the
 * header's tensor descriptors point into. Sizes are bounded before anything is allocated, so a confused or
 * hostile peer cannot make the harness allocate gigabytes or wait forever for a frame that never ends.
 */

export const FRAME_MAGIC = Buffer.from('ACRT', 'latin1');
export const FRAME_PREFIX_BYTES = 16;

export interface FrameLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  maxHeaderBytes: 16 * 1024 * 1024,
  // Node buffers stop at 4 GiB; 2 GiB leaves room for the decoder's own copy
  maxBodyBytes: 2 * 1024 * 1024 * 1024,
};

export interface Frame {
  header: Record<string, unknown>;
  body: Buffer;
}

/** The peer broke the framing rules; the byte stream cannot be trusted any further. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Encodes one frame as a list of chunks (prefix+header first, then the body chunks, not copied). */
export function encodeFrame(header: object, body: readonly Uint8Array[] = [], limits: FrameLimits = DEFAULT_FRAME_LIMITS): Uint8Array[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  let bodyBytes = 0;
  for (const c of body) bodyBytes += c.byteLength;
  if (json.byteLength > limits.maxHeaderBytes) {
    throw new ProtocolError(`frame header of ${json.byteLength} bytes exceeds the limit of ${limits.maxHeaderBytes}`);
  }
  if (bodyBytes > limits.maxBodyBytes) {
    throw new ProtocolError(`frame body of ${bodyBytes} bytes exceeds the limit of ${limits.maxBodyBytes}`);
  }
  const head = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + json.byteLength);
  FRAME_MAGIC.copy(head, 0);
  head.writeUInt32LE(json.byteLength, 4);
  head.writeBigUInt64LE(BigInt(bodyBytes), 8);
  json.copy(head, FRAME_PREFIX_BYTES);
  return [head, ...body];
}

type Phase = 'prefix' | 'header' | 'body';

/**
 * Incremental decoder: feed it chunks as they arrive (split or coalesced anyhow), get whole frames out.
 * After a ProtocolError the decoder is poisoned: a stream that lost its frame boundaries cannot resync.
 * A chunk that holds whole frames and then the break yields those frames; `failure` tells of the break.
 */
export class FrameDecoder {
  private phase: Phase = 'prefix';
  private buf: Buffer = Buffer.allocUnsafe(FRAME_PREFIX_BYTES);
  private filled = 0;
  private header: Record<string, unknown> | null = null;
  private bodyBytes = 0;
  /** bytes of the frame in progress received so far, and its whole length once its prefix is in */
  private received = 0;
  private expected: number | null = null;
  private broken: ProtocolError | null = null;

  constructor(private readonly limits: FrameLimits = DEFAULT_FRAME_LIMITS) {}

  /** True while a frame is partly received (a stream that ends here was cut mid-frame). */
  get midFrame(): boolean {
    return this.phase !== 'prefix' || this.filled > 0;
  }

  /** How much of the frame in progress arrived, for messages: "7 bytes of a frame", "1000 of its 4096 bytes". */
  describePartial(): string {
    return this.expected === null ? `${this.received} bytes of a frame` : `${this.received} of its ${this.expected} bytes`;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.broken) throw this.broken;
    const frames: Frame[] = [];
    let pos = 0;
    try {
      while (pos < chunk.byteLength) {
        const n = Math.min(this.buf.byteLength - this.filled, chunk.byteLength - pos);
        this.buf.set(chunk.subarray(pos, pos + n), this.filled);
        this.filled += n;
        this.received += n;
        pos += n;
        if (this.filled === this.buf.byteLength) {
          const frame = this.advance();
          if (frame) frames.push(frame);
        }
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.broken = err;
      // the whole frames before the break are good replies: handed out now, the break thrown on the next push
      if (frames.length === 0) throw err;
    }
    return frames;
  }

  /** Why the stream broke, once it has (frames decoded before the break are still returned by that push). */
  get failure(): ProtocolError | null {
    return this.broken;
  }

  private advance(): Frame | null {
    switch (this.phase) {
      case 'prefix': {
        if (!this.buf.subarray(0, 4).equals(FRAME_MAGIC)) {
          throw new ProtocolError(`bytes that are not an accelcert frame (expected magic "ACRT", got 0x${this.buf.subarray(0, 4).toString('hex')})`);
        }
        const headerBytes = this.buf.readUInt32LE(4);
        const bodyBytes = this.buf.readBigUInt64LE(8);
        if (headerBytes < 2 || headerBytes > this.limits.maxHeaderBytes) {
          throw new ProtocolError(`a frame header of ${headerBytes} bytes (allowed: 2 to ${this.limits.maxHeaderBytes})`);
        }
        if (bodyBytes > BigInt(this.limits.maxBodyBytes)) {
          throw new ProtocolError(`a frame body of ${bodyBytes} bytes (allowed: up to ${this.limits.maxBodyBytes})`);
        }
        this.bodyBytes = Number(bodyBytes);
        this.expected = FRAME_PREFIX_BYTES + headerBytes + this.bodyBytes;
        this.phase = 'header';
        this.buf = Buffer.allocUnsafe(headerBytes);
        this.filled = 0;
        return null;
      }
      case 'header': {
        let parsed: unknown;
        const text = this.buf.toString('utf8');
        try {
          parsed = JSON.parse(text);
        } catch {
          // quoted, so that whoever wrote the worker sees what it sent
          throw new ProtocolError(`a frame header that is not valid JSON: ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`);
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          throw new ProtocolError('a frame header that is not a JSON object');
        }
        this.header = parsed as Record<string, unknown>;
        this.phase = 'body';
        this.buf = Buffer.allocUnsafe(this.bodyBytes);
        this.filled = 0;
        if (this.bodyBytes > 0) return null;
        return this.finish();
      }
      case 'body':
        return this.finish();
    }
  }

  private finish(): Frame {
    const frame: Frame = { header: this.header ?? {}, body: this.buf };
    this.phase = 'prefix';
    this.buf = Buffer.allocUnsafe(FRAME_PREFIX_BYTES);
    this.filled = 0;
    this.header = null;
    this.received = 0;
    this.expected = null;
    return frame;
  }
}
