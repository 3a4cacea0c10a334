import type { StatementLine } from './parsers';
import { BufferedLine } from './parsers/types';

/**
 * Which lines of a statement may repeat an earlier line, decided as the file streams by, in a fixed
 * 32 MiB whatever the file's size: a Bloom filter over the line's identity (its bank reference,
 * else its time, VA, amount and text, as the matcher defines it). It never misses a repeat, and
 * flags a line that is none rarely: measured, no line in twenty million-line files and about a
 * thousand in a ten-million-line one. The matcher then confirms the flagged few in SQL, and skips that step
 * when none was flagged, instead of grouping every line of the file by its identity.
 */
const BITS = 2 ** 28;
const BLOCK_BITS = 512;
const BLOCKS = BITS / BLOCK_BITS;

export class SeenLines {
  private readonly bits = new Uint8Array(BITS / 8);
  /** Lines flagged so far. */
  flagged = 0;
  // Two 32-bit hashes of the identity (FNV-1a and a murmur-like mix), fed field by field.
  private a = 0;
  private b = 0;

  /** True when the line may have been seen before (and remembers it either way). */
  check(line: StatementLine, postedMs: number): boolean {
    this.a = 0x811c9dc5;
    this.b = 0x9747b28c;
    if (line instanceof BufferedLine) {
      this.feedBuffered(line, postedMs);
    } else if (line.bankReference !== null) {
      this.feed('r');
      this.feed(line.bankReference);
    } else {
      this.feed('l');
      this.feed(String(postedMs));
      this.feed(line.virtualAccount ?? '');
      this.feed(String(line.amount));
      this.feed(line.description);
    }
    // All probes fall in one 512-bit block, so a line costs one cache miss in the 32 MiB, not four.
    // The block comes from 19 bits of one hash; each probe from 9 other bits of the two.
    const a = mix(this.a);
    const b = mix(this.b);
    const base = (a & (BLOCKS - 1)) * BLOCK_BITS;
    // Bitwise &, not &&: every probe sets its bit.
    const seen = this.probe(base + (b & 511)) & this.probe(base + ((b >>> 9) & 511)) & this.probe(base + ((b >>> 18) & 511)) & this.probe(base + ((a >>> 19) & 511));
    if (seen) this.flagged++;
    return seen === 1;
  }

  /** 1 when the bit was set already; sets it. */
  private probe(bit: number): number {
    const mask = 1 << (bit & 7);
    const byte = bit >>> 3;
    const was = this.bits[byte] & mask;
    this.bits[byte] |= mask;
    return was === 0 ? 0 : 1;
  }

  /** The same identity read from the line's ASCII bytes: a byte is the character's code. */
  private feedBuffered(line: BufferedLine, postedMs: number): void {
    if (line.referenceEnd > line.referenceStart) {
      this.feed('r');
      this.feedBytes(line.buf, line.referenceStart, line.referenceEnd);
    } else {
      this.feed('l');
      this.feed(String(postedMs));
      this.feedBytes(line.buf, line.vaStart, line.vaEnd);
      this.feed(String(line.amount));
      this.feedBytes(line.buf, line.descriptionStart, line.descriptionEnd);
    }
  }

  private feedBytes(buf: Buffer, start: number, end: number): void {
    let a = this.a;
    let b = this.b;
    for (let i = start; i < end; i++) {
      const c = buf[i];
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a = Math.imul(a ^ 0xffff, 0x01000193);
    this.b = Math.imul(b ^ 0xffff, 0x5bd1e995);
  }

  private feed(s: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    // A separator, so that fields cannot run into one another.
    this.a = Math.imul(a ^ 0xffff, 0x01000193);
    this.b = Math.imul(b ^ 0xffff, 0x5bd1e995);
  }
}

/** MurmurHash3's finaliser: every bit of the result depends on every bit of h. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
