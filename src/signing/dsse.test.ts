import { describe, expect, it } from 'vitest';
import { decodeBase64, pae } from './dsse.js';

describe('DSSE', () => {
  it('builds PAE as the spec test vector says', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('counts bytes, not characters', () => {
    expect(pae('t', Buffer.from('é', 'utf8')).toString('utf8')).toBe('DSSEv1 1 t 2 é');
  });

  it('decodes standard and URL-safe base64, padded or not', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x00, 0x01]);
    for (const text of ['+/+/AAE=', '+/+/AAE', '-_-_AAE=', '-_-_AAE']) expect(decodeBase64(text)).toEqual(bytes);
  });

  it('rejects what a lenient decoder would let through', () => {
    expect(decodeBase64('aGVsbG8=!')).toBeNull(); // stray character
    expect(decodeBase64('+/-_AAE=')).toBeNull(); // mixed alphabets
    expect(decodeBase64('aGVsbG9=')).toBeNull(); // non-zero unused bits
    expect(decodeBase64('aGVsbA==')).not.toBeNull();
    expect(decodeBase64('aGVsbA=')).toBeNull(); // short padding
    expect(decodeBase64('aGVsb')).toBeNull(); // impossible length
  });
});
