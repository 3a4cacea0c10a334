import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { db } from '../../src/db';
import { useFreshDatabase } from '../support/harness';
import { seedPadang } from '../../seeds/padang';

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const levy = async (file: string) => {
  try {
    const { stdout } = await run(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', 'levy', 'apply', file], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    return { code: 0, out: stdout.trim() };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, out: err.stderr.trim() };
  }
};

describe('kasda levy apply: definition files kept in git, applied as often as they are run', () => {
  let drop: () => Promise<void>;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kasda-levy-'));
  const variant = (name: string, change: (d: Record<string, any>) => void) => {
    const d = YAML.parse(fs.readFileSync(path.join(root, 'levies', 'retribusi-pasar.yaml'), 'utf8'));
    change(d);
    const file = path.join(tmp, `${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify(d));
    return file;
  };
  const versions = async () => (await db()('levy_type_versions as v').join('levy_types as l', 'l.id', 'v.levy_type_id').where('l.code', 'retribusi-pasar').orderBy('v.version').select('v.version', 'v.effective_from'));

  beforeAll(async () => {
    drop = await useFreshDatabase();
    await seedPadang(db());
  });
  afterAll(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    await drop();
  });

  it('The tower levy file is what the seed stores: applying it to a seeded database changes nothing', async () => {
    expect(await levy('levies/retribusi-menara.yaml')).toEqual({ code: 0, out: 'retribusi-menara: unchanged, version 1' });
  });

  it('When a file is applied twice, then the second time creates nothing', async () => {
    expect(await levy('levies/retribusi-pasar.yaml')).toEqual({ code: 0, out: 'retribusi-pasar: created with version 1' });
    expect(await levy('levies/retribusi-pasar.yaml')).toEqual({ code: 0, out: 'retribusi-pasar: unchanged, version 1' });
    expect(await versions()).toEqual([{ version: 1, effective_from: '2024-01-05' }]);
  });

  it('When the file changes with a new effective date, then a new version is added from that date', async () => {
    const file = variant('raised', (d) => {
      d.effective_from = '2027-07-01';
      d.tariff.minimum = 30000;
    });
    expect(await levy(file)).toEqual({ code: 0, out: 'retribusi-pasar: new version 2' });
    expect(await levy(file)).toEqual({ code: 0, out: 'retribusi-pasar: unchanged, version 2' });
    expect(await versions()).toEqual([
      { version: 1, effective_from: '2024-01-05' },
      { version: 2, effective_from: '2027-07-01' },
    ]);
  });

  it('When the file changes but keeps the effective date of a stored version, then it is refused and nothing is stored', async () => {
    const res = await levy(variant('same-date', (d) => (d.tariff.minimum = 40000)));
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/version_overlaps: Version 1 of retribusi-pasar already takes effect on 2024-01-05/);
    expect(await versions()).toHaveLength(2);
  });

  it('When the file is not a valid definition, then every field at fault is printed and nothing is stored', async () => {
    const res = await levy(
      variant('broken', (d) => {
        d.effective_from = '2028-01-01';
        d.tariff.expression = 'rate_per_m2 * luas';
        d.rounding.mode = 'nearest';
      }),
    );
    expect(res.code).toBe(1);
    expect(res.out).toContain('definition_invalid');
    expect(res.out).toContain('rounding.mode:');
    expect(await versions()).toHaveLength(2);
  });
});
