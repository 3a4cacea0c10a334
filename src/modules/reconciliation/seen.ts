import type { StatementLine } from './parsers';

/**
 * Which lines of a statement may repeat an earlier line, decided as the file streams by, in a fixed
 * 32 MiB whatever the file's size: a Bloom filter over the line's identity (its bank reference,
 * else its time, VA, amount and text, as the matcher defines it). It never misses a repeat, and
 * flags a line that is none about once in twenty million-line files (a few thousand times in a
 * ten-million-line one). The matcher then confirms the flagged few in SQL, and skips that step
 * when none was flagged, instead of grouping every line of the file by its identity.
 */
const BITS = 2 ** 28;
const PROBES = 4;

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
    if (line.bankReference !== null) {
      this.feed('r');
      this.feed(line.bankReference);
    } else {
      this.feed('l');
      this.feed(String(postedMs));
      this.feed(line.virtualAccount ?? '');
      this.feed(String(line.amount));
      this.feed(line.description);
    }
    const a = this.a;
    const b = this.b | 1;
    let seen = true;
    for (let i = 0; i < PROBES; i++) {
      const bit = (a + Math.imul(i, b)) & (BITS - 1);
      const mask = 1 << (bit & 7);
      const byte = bit >>> 3;
      if ((this.bits[byte] & mask) === 0) {
        seen = false;
        this.bits[byte] |= mask;
      }
    }
    if (seen) this.flagged++;
    return seen;
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
