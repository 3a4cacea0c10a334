import { kecamatan } from '../../seeds/data/padang-wilayah';
import { owners, towers, type SeedTower } from '../../seeds/data/padang-towers';

type TowersModule = typeof import('../../seeds/data/padang-towers');

const countBy = <K extends string>(key: (t: SeedTower) => K): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const t of towers) counts[key(t)] = (counts[key(t)] ?? 0) + 1;
  return counts;
};

const mitratel = owners.find((o) => o.name.includes('Mitratel'));

describe('Padang wilayah', () => {
  it('has the 11 kecamatan and 104 kelurahan', () => {
    expect(kecamatan).toHaveLength(11);
    expect(kecamatan.reduce((n, k) => n + k.kelurahan.length, 0)).toBe(104);
  });

  it('has unique names and zones 1–3 around Padang', () => {
    expect(new Set(kecamatan.map((k) => k.name)).size).toBe(11);
    for (const k of kecamatan) {
      expect(new Set(k.kelurahan).size).toBe(k.kelurahan.length);
      expect([1, 2, 3]).toContain(k.zone);
      expect(Math.abs(k.center.lat - -0.95)).toBeLessThan(0.15);
      expect(Math.abs(k.center.lng - 100.4)).toBeLessThan(0.15);
    }
  });
});

describe('Padang tower owners', () => {
  it('has 22 owners with unique, URL-safe NPWRDs', () => {
    expect(owners).toHaveLength(22);
    expect(new Set(owners.map((o) => o.npwrd)).size).toBe(22);
    for (const o of owners) {
      expect(o.npwrd).toMatch(/^R\.1\.0013\.\d{2}\.\d{4}$/);
      expect(o.email).toMatch(/@[a-z0-9.-]+\.example$/);
      expect(o.phone).toMatch(/^\+62\d{8,12}$/);
    }
  });
});

describe('Padang towers', () => {
  it('matches the 2022 census: 505 towers, 319/97/89 by type', () => {
    expect(towers).toHaveLength(505);
    expect(countBy((t) => t.attributes.tower_type)).toEqual({ self_supporting: 319, monopole: 97, rooftop: 89 });
  });

  it('gives Mitratel 180 towers and leaves 10 ownerless', () => {
    expect(mitratel).toBeDefined();
    expect(towers.filter((t) => t.ownerNpwrd === mitratel?.npwrd)).toHaveLength(180);
    const ownerless = towers.filter((t) => t.ownerNpwrd === null);
    expect(ownerless).toHaveLength(10);
    expect(ownerless.every((t) => t.status === 'ownerless')).toBe(true);
    expect(towers.filter((t) => t.status === 'ownerless')).toHaveLength(10);
  });

  it('assigns every tower to a known owner and every owner at least one tower', () => {
    const npwrds = new Set(owners.map((o) => o.npwrd));
    const owned = towers.flatMap((t) => (t.ownerNpwrd === null ? [] : [t.ownerNpwrd]));
    expect(owned.every((n) => npwrds.has(n))).toBe(true);
    expect(new Set(owned).size).toBe(22);
  });

  it('places every tower in an existing kecamatan and kelurahan, with its zone', () => {
    const byName = new Map(kecamatan.map((k) => [k.name, k]));
    for (const t of towers) {
      const k = byName.get(t.attributes.kecamatan);
      expect(k).toBeDefined();
      expect(k?.kelurahan).toContain(t.attributes.kelurahan);
      expect(t.attributes.zone).toBe(k?.zone);
    }
    expect(new Set(towers.map((t) => t.attributes.kecamatan)).size).toBe(11);
  });

  it('has unique codes equal to the site id', () => {
    expect(new Set(towers.map((t) => t.code)).size).toBe(505);
    for (const t of towers) expect(t.attributes.site_id).toBe(t.code);
  });

  it('has whole-metre heights within each type’s range', () => {
    const range = { self_supporting: [30, 82], monopole: [20, 42], rooftop: [6, 20] } as const;
    for (const t of towers) {
      const [min, max] = range[t.attributes.tower_type];
      expect(Number.isInteger(t.attributes.height_m)).toBe(true);
      expect(t.attributes.height_m).toBeGreaterThanOrEqual(min);
      expect(t.attributes.height_m).toBeLessThanOrEqual(max);
    }
  });

  it('is the same data on every import', () => {
    let first: TowersModule | undefined;
    let second: TowersModule | undefined;
    jest.isolateModules(() => {
      first = require('../../seeds/data/padang-towers') as TowersModule;
    });
    jest.isolateModules(() => {
      second = require('../../seeds/data/padang-towers') as TowersModule;
    });
    // Separate module instances, so the data was generated twice.
    expect(first?.towers).not.toBe(second?.towers);
    expect(first?.towers).toEqual(second?.towers);
    expect(first?.owners).toEqual(second?.owners);
    expect(first?.towers).toEqual(towers);
  });
});
