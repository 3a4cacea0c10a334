import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { STATEMENT_PARSERS, statementParser, StatementLine, StatementRecord } from '../../src/modules/reconciliation/parsers';
import { BufferedLine } from '../../src/modules/reconciliation/parsers/types';
import { SeenLines } from '../../src/modules/reconciliation/seen';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'statements', name));

/** Feeds the text in small pieces, as a network stream would, cutting through lines and characters. */
function chunked(text: string | Buffer, size = 7): Readable {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return Readable.from(pieces, { objectMode: false });
}

/** A line as plain data, whether the parser gave it as such or still in its bytes (BufferedLine). */
function plain(r: StatementRecord): StatementRecord {
  if (r.kind !== 'line') return r;
  const { row, postedAt, virtualAccount, amount, bankReference, description } = r;
  return { kind: 'line', row, postedAt, virtualAccount, amount, bankReference, description };
}

async function parse(format: string, text: string | Buffer, size?: number): Promise<StatementRecord[]> {
  const out: StatementRecord[] = [];
  for await (const batch of statementParser(format)!.parse(chunked(text, size))) out.push(...batch.map(plain));
  return out;
}

const lines = (rs: StatementRecord[]) => rs.filter((r) => r.kind === 'line');
const rejected = (rs: StatementRecord[]) => rs.filter((r) => r.kind === 'rejected').map((r) => [r.row, (r as { reason: string }).reason]);

describe('statement parsers', () => {
  it('The registry names every format, and nothing else', () => {
    expect(Object.keys(STATEMENT_PARSERS).sort()).toEqual(['bni-csv', 'canonical', 'mt940']);
    expect(statementParser('toString')).toBeUndefined();
    expect(statementParser('camt053')).toBeUndefined();
  });

  describe('canonical CSV', () => {
    const header = 'posted_at,virtual_account,amount,bank_reference,description\n';

    it('When a row has a naive time, then it is WIB; an offset or a date alone is honoured', async () => {
      const rs = await parse(
        'canonical',
        header +
          '2026-11-28 14:05:00,9880012300000001,4900000,000101,VA PAYMENT T1\n' +
          '2026-11-28T07:05:00Z,9880012300000002,1,000102,"PT A, Tbk"\n' +
          '2026-11-28,,2450000,,interest\n',
      );
      expect(lines(rs)).toEqual([
        { kind: 'line', row: 2, postedAt: new Date('2026-11-28T07:05:00Z'), virtualAccount: '9880012300000001', amount: 4900000, bankReference: '000101', description: 'VA PAYMENT T1' },
        { kind: 'line', row: 3, postedAt: new Date('2026-11-28T07:05:00Z'), virtualAccount: '9880012300000002', amount: 1, bankReference: '000102', description: 'PT A, Tbk' },
        { kind: 'line', row: 4, postedAt: new Date('2026-11-27T17:00:00Z'), virtualAccount: null, amount: 2450000, bankReference: null, description: 'interest' },
      ]);
    });

    it('When rows are bad, then each is rejected with its line number and reason, and the rest are read', async () => {
      const rs = await parse(
        'canonical',
        header +
          '2026-02-30 10:00:00,9880012300000001,100,R1,bad date\n' +
          '2026-11-28 10:00:00,9880012300000001,1.500.000,R2,dotted amount\n' +
          '2026-11-28 10:00:00,9880012300000001,12ab,R3,letters\n' +
          '2026-11-28 10:00:00,9880012300000001,100\n' +
          '2026-11-28 10:00:00,9880012300000001,100,R5,=HYPERLINK("x")\n' +
          '2026-11-28 10:00:00,9880012300000001,100,R6,+1\n' +
          '2026-11-28 10:00:00,9880012300000001,100,R7,-1\n' +
          '2026-11-28 10:00:00,9880012300000001,100,@R8,x\n' +
          '2026-11-28 10:00:00,98800123,100,R9,x,extra\n' +
          '2026-11-28 10:00:00,VA1,100,R10,x\n' +
          '2026-11-28 10:00:00,9880012300000001,0,R11,x\n' +
          '2026-11-28 10:00:00,9880012300000001,100,R12,fine\n',
      );
      expect(rejected(rs)).toEqual([
        [2, 'posted_at "2026-02-30 10:00:00" is not a date and time'],
        [3, 'amount "1.500.000" is not a whole rupiah amount'],
        [4, 'amount "12ab" is not a whole rupiah amount'],
        [5, 'missing column bank_reference'],
        [6, expect.stringMatching(/^description starts with "="/)],
        [7, expect.stringMatching(/^description starts with "\+"/)],
        [8, expect.stringMatching(/^description starts with "-"/)],
        [9, expect.stringMatching(/^bank_reference starts with "@"/)],
        [10, 'has 6 cells; the header has 5'],
        [11, 'virtual_account "VA1" is not 8 to 20 digits'],
        [12, 'amount is zero'],
      ]);
      expect(lines(rs).map((l) => l.row)).toEqual([13]);
    });

    it('When the header lacks a column, then the file is refused whole', async () => {
      await expect(parse('canonical', 'posted_at,amount\n2026-11-28,1\n')).rejects.toMatchObject({
        code: 'statement_invalid_header',
        details: { missing: ['virtual_account', 'bank_reference', 'description'] },
      });
    });

    it('When the columns come in another order, then they are read by name', async () => {
      const rs = await parse('canonical', 'Amount,Description,Bank_Reference,Virtual_Account,Posted_At\n5,x,R1,9880012300000001,2026-11-28\n');
      expect(lines(rs)[0]).toMatchObject({ amount: 5, bankReference: 'R1', virtualAccount: '9880012300000001' });
    });

    it('When a quote is never closed on a line, then that row is rejected and the next still read', async () => {
      const rs = await parse('canonical', `${header}2026-11-28,9880012300000001,1,R1,"open\n2026-11-28,9880012300000001,2,R2,"a ""quoted"", text"\n`);
      expect(rejected(rs)).toEqual([[2, 'a quote is not closed on this line']]);
      expect(lines(rs)).toEqual([expect.objectContaining({ row: 3, amount: 2, description: 'a "quoted", text' })]);
    });
    it('When the file has a BOM and CRLF line endings, then it reads the same, numbered as a text editor shows it', async () => {
      const text = `\uFEFF${header.trimEnd()}\r\n2026-11-28 14:05:00,9880012300000001,5,R1,"PT A, Tbk"\r\n\r\n2026-11-28,,7,R2,x\r\n`;
      for (const size of [1, 3, 7, 64]) {
        const rs = await parse('canonical', text, size);
        expect(rs).toEqual([
          { kind: 'line', row: 2, postedAt: new Date('2026-11-28T07:05:00Z'), virtualAccount: '9880012300000001', amount: 5, bankReference: 'R1', description: 'PT A, Tbk' },
          { kind: 'line', row: 4, postedAt: new Date('2026-11-27T17:00:00Z'), virtualAccount: null, amount: 7, bankReference: 'R2', description: 'x' },
        ]);
      }
    });

    it('When the file is empty, blank or only a header, then nothing is read and nothing fails', async () => {
      expect(await parse('canonical', '')).toEqual([]);
      expect(await parse('canonical', '\n \r\n\t\n')).toEqual([]);
      expect(await parse('canonical', header)).toEqual([]);
      expect(await parse('canonical', `\uFEFF${header.trimEnd()}`)).toEqual([]);
    });

    it('When a time is read, then impossible ones are rejected whichever way they are written', async () => {
      const rs = await parse(
        'canonical',
        header +
          '2024-02-29 10:00:00,,1,R1,leap day\n' +
          '2026-02-29 10:00:00,,1,R2,not a leap year\n' +
          '2026-11-28 24:00:00,,1,R3,no hour 24\n' +
          '2026-11-28 10:60:00,,1,R4,no minute 60\n' +
          '２０２６-11-28 10:00:00,,1,R5,wide digits\n' +
          '2026-11-28 10:00,,1,R6,no seconds\n' +
          '2026-11-28T10:00:00+07:00,,1,R7,offset\n' +
          '2026-11-28 10:00:0x,,1,R8,letter\n',
      );
      expect(lines(rs).map((l) => [l.row, (l as { postedAt: Date }).postedAt.toISOString()])).toEqual([
        [2, '2024-02-29T03:00:00.000Z'],
        [7, '2026-11-28T03:00:00.000Z'],
        [8, '2026-11-28T03:00:00.000Z'],
      ]);
      expect(rejected(rs).map(([row]) => row)).toEqual([3, 4, 5, 6, 9]);
      expect(rejected(rs)[0]).toEqual([3, 'posted_at "2026-02-29 10:00:00" is not a date and time']);
    });

    it('When a cell is too long, holds a NUL or the amount is out of range, then that row is rejected', async () => {
      const rs = await parse(
        'canonical',
        header +
          `2026-11-28,,1,R1,${'x'.repeat(501)}\n` +
          `2026-11-28,,1,R2,${'x'.repeat(500)}\n` +
          '2026-11-28,,1,R3,a\u0000b\n' +
          '2026-11-28,,9007199254740992,R4,too large\n' +
          '2026-11-28,,-5,R5,negative\n',
      );
      expect(rejected(rs)).toEqual([
        [2, 'description is longer than 500 characters'],
        [4, 'description holds a NUL character'],
        [5, 'amount "9007199254740992" is not a whole rupiah amount'],
        [6, expect.stringMatching(/^amount starts with "-"/)],
      ]);
      expect(lines(rs).map((l) => l.row)).toEqual([3]);
    });
    it('When a line is read straight from its bytes, then it is the line the general reading gives', async () => {
      // Unquoted ASCII lines take the byte path (spaces around a cell are not part of it); the same
      // lines quoted take the general one.
      const rows = [
        ['2026-11-28 14:05:00', '9880012300000001', '4900000', 'NTB-01/A_b.c', 'SETORAN VA 9880012300000001'],
        ['2026-11-28 00:00:00', '', '7', '', 'padded'],
        ['2026-12-31 23:59:59', '98800123', '000012', 'R9', ''],
      ];
      const bare = header + rows.map((r) => r.join(' , ')).join('\n') + '\n';
      const quoted = header + rows.map((r) => r.map((c) => `"${c}"`).join(',')).join('\n') + '\n';
      const fast = [];
      for await (const batch of statementParser('canonical')!.parse(chunked(bare, 64))) fast.push(...batch);
      expect(fast.every((r) => r instanceof BufferedLine)).toBe(true);
      expect(await parse('canonical', bare)).toEqual(await parse('canonical', quoted));
      expect((await parse('canonical', bare))[1]).toMatchObject({ virtualAccount: null, bankReference: null, description: 'padded', amount: 7 });

      // A repeat is a repeat whichever way either occurrence was read.
      const general = [];
      for await (const batch of statementParser('canonical')!.parse(chunked(quoted, 64))) general.push(...batch);
      for (const [first, again] of [
        [general, fast],
        [fast, general],
      ]) {
        const seen = new SeenLines();
        for (const r of first) expect(seen.check(r as StatementLine, (r as StatementLine).postedAt.getTime())).toBe(false);
        for (const r of again) expect(seen.check(r as StatementLine, (r as StatementLine).postedAt.getTime())).toBe(true);
      }
    });

    it('When a line is not plain (a formula, a tab, a wrong count of cells, text beyond ASCII), then it is read the general way', async () => {
      const rs = await parse(
        'canonical',
        header +
          '2026-11-28 10:00:00,,1,R1,=HYPERLINK("x")\n' +
          '2026-11-28 10:00:00,,1,R2,tab\there\n' +
          '2026-11-28 10:00:00,,1,R3\n' +
          '2026-11-28 10:00:00,,1,R4,Pembayaran café\n' +
          '2026-11-28 10:00:00,,0,R5,zero\n',
      );
      expect(rejected(rs)).toEqual([
        [2, expect.stringMatching(/^description starts with "="/)],
        [4, 'missing column description'],
        [6, 'amount is zero'],
      ]);
      expect(lines(rs)).toEqual([
        expect.objectContaining({ row: 3, description: 'tab\there' }),
        expect.objectContaining({ row: 5, description: 'Pembayaran café' }),
      ]);
    });
  });

  describe('repeated lines', () => {
    const line = (over: Partial<StatementLine> = {}): StatementLine => ({
      kind: 'line',
      row: 2,
      postedAt: new Date('2026-11-28T07:05:00Z'),
      virtualAccount: '9880012300000001',
      amount: 5,
      bankReference: null,
      description: 'x',
      ...over,
    });

    it('When a line comes again, then it is flagged; the same line with any field changed is not', () => {
      const seen = new SeenLines();
      const at = Date.parse('2026-11-28T07:05:00Z');
      expect(seen.check(line({ bankReference: 'R1' }), at)).toBe(false);
      // A bank reference is the identity: the rest may differ.
      expect(seen.check(line({ bankReference: 'R1', amount: 6 }), at + 1000)).toBe(true);
      expect(seen.check(line(), at)).toBe(false);
      expect(seen.check(line(), at)).toBe(true);
      for (const other of [line({ virtualAccount: null }), line({ amount: 50 }), line({ description: 'xx' }), line({ bankReference: 'x' })]) {
        expect(seen.check(other, at)).toBe(false);
      }
      expect(seen.check(line(), at + 1000)).toBe(false);
    });

    it('When many different lines go by, then almost none is flagged', () => {
      const seen = new SeenLines();
      const probe = line();
      let flagged = 0;
      for (let i = 0; i < 300_000; i++) {
        probe.bankReference = `NTB${i}`;
        if (seen.check(probe, 0)) flagged++;
      }
      expect(flagged).toBeLessThan(10);
    });
  });

  describe("BNI's account statement CSV", () => {
    it('When the export is read, then credits carry the VA and NTB from the description, debits and balances are skipped', async () => {
      const rs = await parse('bni-csv', fixture('bni-statement.csv'), 13);
      expect(lines(rs)).toEqual([
        {
          kind: 'line',
          row: 6,
          postedAt: new Date('2026-11-02T02:15:02Z'),
          virtualAccount: '9880012300000001',
          amount: 4_900_000,
          bankReference: '000101',
          description: 'TRF VA 9880012300000001 NTB 000101 PT DAYAMITRA TELEKOMUNIKASI',
        },
        expect.objectContaining({ row: 7, postedAt: new Date('2026-11-02T06:40:00Z'), amount: 12_250_000, bankReference: '000102' }),
        // No NTB in the text: the journal number is the reference.
        expect.objectContaining({ row: 8, postedAt: new Date('2026-11-02T17:00:00Z'), amount: 2_450_000, bankReference: 'J000103', virtualAccount: '9880012300000003' }),
      ]);
      expect(rs.filter((r) => r.kind === 'skipped').map((r) => r.row)).toEqual([9, 14, 15]);
      expect(rejected(rs)).toEqual([
        [10, 'Post Date "31/11/2026" is not a date (DD/MM/YYYY)'],
        [11, 'Credit 1.000.000,50 has a fraction of a rupiah'],
        [12, expect.stringMatching(/^Description starts with "@"/)],
        [13, 'both Debit and Credit are set'],
      ]);
    });

    it('When Excel saved it with semicolons, then it reads the same', async () => {
      const text = 'Post Date;Value Date;Branch;Journal No.;Description;Debit;Credit\r\n02/11/2026;02/11/2026;0370;J1;TRF VA 9880012300000001 NTB 000777;0,00;1.500.000,00\r\n';
      expect(lines(await parse('bni-csv', text))).toEqual([expect.objectContaining({ row: 2, amount: 1_500_000, bankReference: '000777' })]);
    });

    it('When no header row is found, then the file is refused', async () => {
      await expect(parse('bni-csv', 'posted_at,amount\n2026-11-28,1\n')).rejects.toMatchObject({ code: 'statement_invalid_header' });
    });
  });

  describe('MT940', () => {
    it('When the statement is read, then :61: credits take the VA and NTB from :86:, and bad lines are rejected', async () => {
      const rs = await parse('mt940', fixture('statement.mt940'), 5);
      expect(lines(rs)).toEqual([
        {
          kind: 'line',
          row: 6,
          postedAt: new Date('2026-11-01T17:00:00Z'),
          virtualAccount: '9880012300000001',
          amount: 4_900_000,
          bankReference: '000201',
          description: 'VA 9880012300000001 NTB 000201 PT DAYAMITRA TELEKOMUNIKASI',
        },
        // Valued on 31 December, booked on 2 January of the next year; no NTB, so the bank reference.
        expect.objectContaining({ row: 11, postedAt: new Date('2027-01-01T17:00:00Z'), virtualAccount: '9880012300000002', bankReference: 'J000202' }),
      ]);
      expect(rs.filter((r) => r.kind === 'skipped').map((r) => r.row)).toEqual([9, 15]);
      expect(rejected(rs)).toEqual([
        [13, expect.stringMatching(/^:61: "261105C12X50000,00NTRFNONREF" is not a statement line/)],
        [17, ':61: amount 2450000,10 has a fraction of a rupiah'],
      ]);
    });

    it('When the file holds no MT940 field, then it is refused', async () => {
      await expect(parse('mt940', 'hello\nworld\n')).rejects.toMatchObject({ code: 'statement_malformed' });
    });
  });
});
