/**
 * Seed data for Kota Padang's telecom tower levy: the 22 known tower owners and the 505 towers
 * counted in 2022 (319 self-supporting lattice, 97 monopole, 89 rooftop; Mitratel owns 180; 10
 * have no known owner). Company names are real; addresses, contact people, phone numbers, NPWRDs,
 * site ids, permits and tower positions are invented for testing.
 *
 * The towers are generated at import time from a fixed-seed PRNG so every run, test and demo sees
 * the same data; only the per-owner counts below are hand-set, to match the city's figures.
 */
import { kecamatan } from './padang-wilayah';

export interface SeedOwner {
  npwrd: string;
  name: string;
  address: string;
  email: string;
  phone: string;
  contactName: string;
}

export interface SeedTower {
  /** The owner's site id, unique across all towers. */
  code: string;
  name: string;
  /** null = no known owner. */
  ownerNpwrd: string | null;
  status: 'active' | 'ownerless';
  attributes: {
    site_id: string;
    tower_type: 'self_supporting' | 'monopole' | 'rooftop';
    /** Whole metres. */
    height_m: number;
    kecamatan: string;
    kelurahan: string;
    zone: 1 | 2 | 3;
    latitude: number;
    longitude: number;
    address: string;
    land_status: 'private' | 'leased' | 'city_land';
    /** Building permit (IMB) number; '' when none is on file (the ownerless towers). */
    permit_no: string;
    build_year: number;
    /** Co-located mobile operators. */
    tenants: string[];
  };
}

type TowerType = SeedTower['attributes']['tower_type'];
type LandStatus = SeedTower['attributes']['land_status'];
type Operator = 'Telkomsel' | 'Indosat' | 'XL Axiata' | 'Smartfren';

interface Portfolio {
  /** null for the towers nobody has claimed. */
  owner: (Omit<SeedOwner, 'npwrd'> & { registered: number }) | null;
  /** Short name used in tower names. */
  brand: string;
  /** Middle part of the site id, `PDG-<prefix>-0001`. */
  prefix: string;
  /**
   * Decides tenants and heights: tower companies lease space to operators, operators host
   * themselves, broadcasters host nobody and need tall masts; nobody is on record at an unknown
   * owner's tower.
   */
  kind: 'towerco' | 'operator' | 'broadcaster' | 'unknown';
  /** The operator always on an operator-owned tower (Telkom's towers carry Telkomsel). */
  anchor?: Operator;
  /** Earliest plausible build year of the owner's towers in Padang. */
  since: number;
  towers: readonly [selfSupporting: number, monopole: number, rooftop: number];
}

/**
 * Owners in NPWRD registration order, then the ownerless towers. Tower counts: Mitratel 180 as
 * reported, Protelindo and TBG the next largest as in the national market, broadcasters 1–3.
 */
const portfolios: readonly Portfolio[] = [
  {
    owner: {
      registered: 2013,
      name: 'PT Dayamitra Telekomunikasi Tbk (Mitratel)',
      address: 'Telkom Landmark Tower Lt. 27, Jl. Jend. Gatot Subroto Kav. 52, Jakarta Selatan 12710',
      email: 'finance@mitratel.example',
      phone: '+622127933363',
      contactName: 'Rahmat Hidayat',
    },
    brand: 'Mitratel',
    prefix: 'MTL',
    kind: 'towerco',
    since: 1998,
    towers: [122, 30, 28],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Profesional Telekomunikasi Indonesia (Protelindo)',
      address: 'Menara BCA Lt. 55, Jl. M.H. Thamrin No. 1, Jakarta Pusat 10310',
      email: 'ar@protelindo.example',
      phone: '+622123585500',
      contactName: 'Dewi Lestari',
    },
    brand: 'Protelindo',
    prefix: 'PTI',
    kind: 'towerco',
    since: 2004,
    towers: [45, 13, 8],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Tower Bersama (TBG)',
      address: 'The Convergence Indonesia Lt. 11, Jl. H.R. Rasuna Said, Jakarta Selatan 12940',
      email: 'billing@tower-bersama.example',
      phone: '+622129248900',
      contactName: 'Andi Saputra',
    },
    brand: 'TBG',
    prefix: 'TBG',
    kind: 'towerco',
    since: 2005,
    towers: [38, 12, 8],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Solusi Tunas Pratama Tbk',
      address: 'Jl. Raya By Pass Km 6 No. 12, Kel. Pisang, Kec. Pauh, Kota Padang 25163',
      email: 'finance@stp.example',
      phone: '+627514671120',
      contactName: 'Yuliana Putri',
    },
    brand: 'STP',
    prefix: 'STP',
    kind: 'towerco',
    since: 2007,
    towers: [22, 6, 5],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Telekomunikasi Selular (Telkomsel)',
      address: 'Jl. Khatib Sulaiman No. 60, Kel. Lolong Belanti, Kec. Padang Utara, Kota Padang 25136',
      email: 'regional.finance@telkomsel.example',
      phone: '+627517055111',
      contactName: 'Fadli Zulkarnain',
    },
    brand: 'Telkomsel',
    prefix: 'TSEL',
    kind: 'operator',
    anchor: 'Telkomsel',
    since: 1996,
    towers: [6, 2, 6],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Indosat Tbk',
      address: 'Jl. Jend. Ahmad Yani No. 15, Kel. Padang Pasir, Kec. Padang Barat, Kota Padang 25119',
      email: 'finance.sumbar@indosat.example',
      phone: '+627517058800',
      contactName: 'Nurul Aini',
    },
    brand: 'Indosat',
    prefix: 'ISAT',
    kind: 'operator',
    anchor: 'Indosat',
    since: 1998,
    towers: [9, 3, 6],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT XL Axiata Tbk',
      address: 'Jl. Jend. Sudirman No. 29, Kel. Jati Baru, Kec. Padang Timur, Kota Padang 25121',
      email: 'finance.padang@xl.example',
      phone: '+627517053300',
      contactName: 'Rizki Pratama',
    },
    brand: 'XL',
    prefix: 'XL',
    kind: 'operator',
    anchor: 'XL Axiata',
    since: 1997,
    towers: [8, 3, 5],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Telkom Indonesia (Persero) Tbk',
      address: 'Jl. Khatib Sulaiman No. 1, Kel. Alai Parak Kopi, Kec. Padang Utara, Kota Padang 25133',
      email: 'witel.padang@telkom.example',
      phone: '+627517051000',
      contactName: 'Syafrizal Chaniago',
    },
    brand: 'Telkom',
    prefix: 'TLK',
    kind: 'operator',
    anchor: 'Telkomsel',
    since: 1994,
    towers: [4, 0, 8],
  },
  {
    owner: {
      registered: 2013,
      name: 'LPP TVRI Stasiun Sumatera Barat',
      address: 'Jl. Raya By Pass Km 7, Kel. Pisang, Kec. Pauh, Kota Padang 25163',
      email: 'keuangan@tvri-sumbar.example',
      phone: '+627517051500',
      contactName: 'Hendri Koto',
    },
    brand: 'TVRI',
    prefix: 'TVRI',
    kind: 'broadcaster',
    since: 1982,
    towers: [2, 0, 0],
  },
  {
    owner: {
      registered: 2013,
      name: 'LPP RRI Padang',
      address: 'Jl. Jend. Sudirman No. 12, Kel. Jati Baru, Kec. Padang Timur, Kota Padang 25121',
      email: 'keuangan@rri-padang.example',
      phone: '+627517051300',
      contactName: 'Elvi Yanti',
    },
    brand: 'RRI',
    prefix: 'RRI',
    kind: 'broadcaster',
    since: 1985,
    towers: [2, 0, 1],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Padang TV',
      address: 'Jl. Veteran No. 80, Kel. Purus, Kec. Padang Barat, Kota Padang 25115',
      email: 'finance@padangtv.example',
      phone: '+627517059090',
      contactName: 'Ilham Datuak Sati',
    },
    brand: 'Padang TV',
    prefix: 'PTV',
    kind: 'broadcaster',
    since: 2006,
    towers: [1, 0, 0],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Centratama Menara Indonesia',
      address: 'Jl. Tanjung Karang No. 3-4A, Jakarta Pusat 10230',
      email: 'ar@centratama.example',
      phone: '+622131930330',
      contactName: 'Bambang Wijaya',
    },
    brand: 'Centratama',
    prefix: 'CMI',
    kind: 'towerco',
    since: 2008,
    towers: [7, 3, 2],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Inti Bangun Sejahtera Tbk',
      address: 'Jl. Riau No. 23, Menteng, Jakarta Pusat 10350',
      email: 'finance@ibs.example',
      phone: '+622131935919',
      contactName: 'Siti Rahmawati',
    },
    brand: 'IBS',
    prefix: 'IBS',
    kind: 'towerco',
    since: 2008,
    towers: [9, 3, 2],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Gihon Telekomunikasi Indonesia Tbk',
      address: 'Jl. Gajah Mada No. 21, Kel. Gunung Pangilun, Kec. Padang Utara, Kota Padang 25137',
      email: 'finance@gihon.example',
      phone: '+627514488210',
      contactName: 'Yohanes Simanjuntak',
    },
    brand: 'Gihon',
    prefix: 'GHN',
    kind: 'towerco',
    since: 2008,
    towers: [6, 2, 1],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Smartfren Telecom Tbk',
      address: 'Jl. Hayam Wuruk No. 35, Kel. Belakang Tangsi, Kec. Padang Barat, Kota Padang 25118',
      email: 'finance.padang@smartfren.example',
      phone: '+627517054400',
      contactName: 'Ferdiansyah',
    },
    brand: 'Smartfren',
    prefix: 'FREN',
    kind: 'operator',
    anchor: 'Smartfren',
    since: 2009,
    towers: [2, 2, 4],
  },
  {
    owner: {
      registered: 2013,
      name: 'PT Permata Karya Perdana',
      address: 'Jl. Dr. Wahidin No. 7, Kel. Sawahan, Kec. Padang Timur, Kota Padang 25121',
      email: 'admin@permatakarya.example',
      phone: '+627514459001',
      contactName: 'Ermawati',
    },
    brand: 'PKP',
    prefix: 'PKP',
    kind: 'towerco',
    since: 2010,
    towers: [4, 2, 0],
  },
  {
    owner: {
      registered: 2016,
      name: 'PT Komet Infra Nusantara',
      address: 'Menara BCA Lt. 53, Jl. M.H. Thamrin No. 1, Jakarta Pusat 10310',
      email: 'ar@kometinfra.example',
      phone: '+622123585600',
      contactName: 'Lukman Hakim',
    },
    brand: 'Komet',
    prefix: 'KIN',
    kind: 'towerco',
    since: 2013,
    towers: [6, 3, 1],
  },
  {
    owner: {
      registered: 2016,
      name: 'PT Iforte Solusi Infotek',
      address: 'Jl. Raden Saleh No. 44, Kel. Flamboyan Baru, Kec. Padang Barat, Kota Padang 25112',
      email: 'finance@iforte.example',
      phone: '+627517050880',
      contactName: 'Dian Permata Sari',
    },
    brand: 'Iforte',
    prefix: 'IFT',
    kind: 'towerco',
    since: 2012,
    towers: [7, 3, 1],
  },
  {
    owner: {
      registered: 2016,
      name: 'PT Era Bangun Towerindo',
      address: 'Jl. Adinegoro No. 18, Kel. Lubuk Buaya, Kec. Koto Tangah, Kota Padang 25173',
      email: 'finance@erabangun.example',
      phone: '+627514850212',
      contactName: 'Joni Arman',
    },
    brand: 'Era Bangun',
    prefix: 'EBT',
    kind: 'towerco',
    since: 2014,
    towers: [5, 2, 0],
  },
  {
    owner: {
      registered: 2019,
      name: 'PT Bali Towerindo Sentra Tbk',
      address: 'Jl. Jend. Gatot Subroto Kav. 18, Jakarta Selatan 12950',
      email: 'finance@balitower.example',
      phone: '+622129398888',
      contactName: 'I Made Suarjana',
    },
    brand: 'Bali Tower',
    prefix: 'BTS',
    kind: 'towerco',
    since: 2017,
    towers: [1, 4, 0],
  },
  {
    owner: {
      registered: 2019,
      name: 'PT Len Telekomunikasi Indonesia',
      address: 'Jl. Soekarno-Hatta No. 442, Bandung 40254',
      email: 'finance@len-telko.example',
      phone: '+62225202682',
      contactName: 'Asep Gunawan',
    },
    brand: 'Len',
    prefix: 'LTI',
    kind: 'towerco',
    since: 2016,
    towers: [3, 1, 0],
  },
  {
    owner: {
      registered: 2019,
      name: 'PT Indonesia Comnets Plus (ICON+)',
      address: 'Jl. Dr. Wahidin No. 8, Kel. Sawahan, Kec. Padang Timur, Kota Padang 25121',
      email: 'sbu.padang@iconplus.example',
      phone: '+627517057700',
      contactName: 'Wahyu Nugroho',
    },
    brand: 'ICON+',
    prefix: 'ICON',
    kind: 'towerco',
    since: 2015,
    towers: [4, 1, 1],
  },
  {
    owner: null,
    brand: 'Tanpa Pemilik',
    prefix: 'UNK',
    kind: 'unknown',
    since: 2000,
    towers: [6, 2, 2],
  },
];

/**
 * NPWRD format `R.1.0013.YY.NNNN`: R = retribusi; 1 = golongan jasa umum; 0013 = rincian objek of
 * the tower levy's account code 4.1.02.01.13; YY = year of registration; NNNN = serial within
 * that year. Dots only, so it can sit in a URL path.
 */
function assignNpwrds(): Map<Portfolio, string> {
  const serials = new Map<number, number>();
  const result = new Map<Portfolio, string>();
  for (const p of portfolios) {
    if (!p.owner) continue;
    const serial = (serials.get(p.owner.registered) ?? 0) + 1;
    serials.set(p.owner.registered, serial);
    const yy = String(p.owner.registered % 100).padStart(2, '0');
    result.set(p, `R.1.0013.${yy}.${String(serial).padStart(4, '0')}`);
  }
  return result;
}

const npwrds = assignNpwrds();

export const owners: readonly SeedOwner[] = portfolios.flatMap((p) => {
  if (!p.owner) return [];
  const { registered: _registered, ...contact } = p.owner;
  return [{ npwrd: npwrds.get(p)!, ...contact }];
});

/** Relative tower density per kecamatan, roughly following population and commerce. */
const density: Readonly<Record<string, number>> = {
  'Padang Barat': 10,
  'Padang Timur': 9,
  'Padang Utara': 9,
  'Padang Selatan': 7,
  Nanggalo: 5,
  Kuranji: 8,
  'Lubuk Begalung': 8,
  'Lubuk Kilangan': 4,
  Pauh: 5,
  'Koto Tangah': 11,
  'Bungus Teluk Kabung': 2,
};

/** Rooftops need buildings (centre); lattice towers need land (outskirts). */
const zoneAffinity: Readonly<Record<TowerType, Readonly<Record<1 | 2 | 3, number>>>> = {
  self_supporting: { 1: 0.8, 2: 1, 3: 1.3 },
  monopole: { 1: 1.4, 2: 1, 3: 0.5 },
  rooftop: { 1: 3, 2: 0.8, 3: 0.25 },
};

/** Spread of tower positions around the kecamatan centre, in degrees (0.01° ≈ 1.1 km). */
const spread: Readonly<Record<1 | 2 | 3, number>> = { 1: 0.006, 2: 0.012, 3: 0.018 };

/** A few main roads per kecamatan, for addresses. */
const streets: Readonly<Record<string, readonly string[]>> = {
  'Padang Barat': ['Jl. Hayam Wuruk', 'Jl. Diponegoro', 'Jl. Veteran', 'Jl. Permindo', 'Jl. Samudera'],
  'Padang Timur': ['Jl. Sawahan', 'Jl. Dr. Sutomo', 'Jl. Perintis Kemerdekaan', 'Jl. Andalas'],
  'Padang Utara': ['Jl. Khatib Sulaiman', 'Jl. S. Parman', 'Jl. Prof. Dr. Hamka', 'Jl. Gajah Mada'],
  'Padang Selatan': ['Jl. Sutan Syahrir', 'Jl. Batang Arau', 'Jl. Gaung', 'Jl. Palinggam'],
  Nanggalo: ['Jl. Jhoni Anwar', 'Jl. Raya Siteba', 'Jl. Angkasa Puri', 'Jl. Kurao Pagang'],
  Kuranji: ['Jl. Raya Kuranji', 'Jl. Raya Belimbing', 'Jl. Kalumbuk', 'Jl. Raya Ampang'],
  'Lubuk Begalung': ['Jl. Raya Lubuk Begalung', 'Jl. Raya By Pass', 'Jl. Pampangan', 'Jl. Banuaran'],
  'Lubuk Kilangan': ['Jl. Raya Indarung', 'Jl. Bandar Buat', 'Jl. Padang Besi'],
  Pauh: ['Jl. Dr. Moh. Hatta', 'Jl. Raya Unand', 'Jl. Koto Luar'],
  'Koto Tangah': ['Jl. Adinegoro', 'Jl. Bagindo Aziz Chan', 'Jl. Raya Lubuk Minturun', 'Jl. Dadok'],
  'Bungus Teluk Kabung': ['Jl. Raya Padang-Painan', 'Jl. Teluk Kabung'],
};

/** Operators and their rough share of tenancies on shared towers. */
const operatorShare: ReadonlyArray<readonly [Operator, number]> = [
  ['Telkomsel', 45],
  ['Indosat', 25],
  ['XL Axiata', 20],
  ['Smartfren', 10],
];

/** Standard catalogue heights: towers are ordered in fixed sizes, not to the metre. */
const latticeHeights = [32, 36, 40, 42, 45, 48, 52, 55, 60, 62, 65, 72, 75, 82] as const;
const broadcastHeights = [72, 75, 82] as const;
const monopoleHeights = [20, 24, 25, 27, 30, 32, 36, 40, 42] as const;

/** First year a type appears in Padang; rooftops and monopoles came with 3G densification. */
const firstYear: Readonly<Record<TowerType, number>> = { self_supporting: 1980, monopole: 2008, rooftop: 2004 };
/** The tower census year: nothing newer is in the data. */
const censusYear = 2022;

/** mulberry32: tiny, fast, and good enough for spreading seed data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildTowers(): SeedTower[] {
  // Fixed seed: changing it (or the order of draws below) moves every tower, and tests or demos
  // that name a tower by code would then find a different one.
  const rand = mulberry32(20220505);
  const int = (min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const weighted = <T>(entries: ReadonlyArray<readonly [T, number]>): T => {
    let r = rand() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [item, w] of entries) {
      r -= w;
      if (r < 0) return item;
    }
    return entries[entries.length - 1][0];
  };

  const placement = (type: TowerType): ReadonlyArray<readonly [(typeof kecamatan)[number], number]> =>
    kecamatan.map((k) => {
      const d = density[k.name];
      if (d === undefined) throw new Error(`no tower density for kecamatan ${k.name}`);
      return [k, d * zoneAffinity[type][k.zone]] as const;
    });
  const placements: Record<TowerType, ReturnType<typeof placement>> = {
    self_supporting: placement('self_supporting'),
    monopole: placement('monopole'),
    rooftop: placement('rooftop'),
  };

  const tenantsFor = (p: Portfolio): Operator[] => {
    if (p.kind === 'broadcaster' || p.kind === 'unknown') return [];
    const tenants: Operator[] = p.anchor ? [p.anchor] : [];
    const wanted =
      p.kind === 'operator'
        ? tenants.length + weighted([[0, 7], [1, 3]] as const)
        : weighted([[1, 45], [2, 35], [3, 20]] as const);
    while (tenants.length < wanted) {
      tenants.push(weighted(operatorShare.filter(([op]) => !tenants.includes(op))));
    }
    return tenants;
  };

  const landStatus = (type: TowerType): LandStatus =>
    type === 'rooftop'
      ? weighted([['leased', 80], ['private', 15], ['city_land', 5]] as const)
      : weighted([['leased', 70], ['private', 22], ['city_land', 8]] as const);

  const height = (type: TowerType, p: Portfolio): number => {
    if (type === 'rooftop') return int(6, 20);
    if (type === 'monopole') return pick(monopoleHeights);
    return pick(p.kind === 'broadcaster' ? broadcastHeights : latticeHeights);
  };

  const permitsPerYear = new Map<number, number>();
  const permit = (year: number): string => {
    const n = (permitsPerYear.get(year) ?? 0) + 1;
    permitsPerYear.set(year, n);
    return `503/${String(n).padStart(3, '0')}/IMB-MT/DPMPTSP/${year}`;
  };

  const namesUsed = new Map<string, number>();
  const towerName = (brand: string, kelurahan: string): string => {
    const base = `${brand} ${kelurahan}`;
    const n = (namesUsed.get(base) ?? 0) + 1;
    namesUsed.set(base, n);
    return n === 1 ? base : `${base} ${n}`;
  };

  const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
  const types: readonly TowerType[] = ['self_supporting', 'monopole', 'rooftop'];
  const result: SeedTower[] = [];

  for (const p of portfolios) {
    const npwrd = npwrds.get(p) ?? null;
    let seq = 0;
    types.forEach((type, i) => {
      for (let n = 0; n < p.towers[i]; n++) {
        const k = weighted(placements[type]);
        const kelurahan = pick(k.kelurahan);
        const r = spread[k.zone];
        const buildYear = int(Math.max(p.since, firstYear[type]), censusYear);
        const code = `PDG-${p.prefix}-${String(++seq).padStart(4, '0')}`;
        result.push({
          code,
          name: towerName(p.brand, kelurahan),
          ownerNpwrd: npwrd,
          status: npwrd ? 'active' : 'ownerless',
          attributes: {
            site_id: code,
            tower_type: type,
            height_m: height(type, p),
            kecamatan: k.name,
            kelurahan,
            zone: k.zone,
            latitude: round6(k.center.lat + (rand() * 2 - 1) * r),
            longitude: round6(k.center.lng + (rand() * 2 - 1) * r),
            address: `${pick(streets[k.name])} No. ${int(1, 250)}, Kel. ${kelurahan}, Kec. ${k.name}, Kota Padang`,
            land_status: landStatus(type),
            permit_no: npwrd ? permit(buildYear) : '',
            build_year: buildYear,
            tenants: tenantsFor(p),
          },
        });
      }
    });
  }
  return result;
}

export const towers: readonly SeedTower[] = buildTowers();
