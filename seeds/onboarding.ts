import path from 'node:path';
import type { Knex } from 'knex';
import type { Principal } from '../src/modules/auth/tokens';
import { readDefinitionFile } from '../src/modules/levy-types/definition';
import { applyDefinitionFile } from '../src/modules/levy-types/service';
import { importObjects } from '../src/modules/objects/service';
import { importPayers } from '../src/modules/payers/service';

/**
 * The levies Padang's other OPDs brought as configuration, for the demo and a development
 * database: Bapenda's billboard tax and Dinas Perdagangan's market stalls, applied from their
 * definition files in levies/, with a few payers and objects loaded through the same CSV imports
 * an OPD uses. Safe to run again: every step is keyed by its natural key.
 */
export const ONBOARDED_LEVIES = ['pajak-reklame', 'retribusi-pasar'] as const;

const PAYERS = `npwrd,name,address,email,phone
P.2.0501.01.0001,Toko Sinar Minang,"Blok A No. 1-2, Pasar Raya Padang",sinar.minang@mail.example,+6281266610001
P.2.0501.01.0002,Uni Rahmi,"Los L-003, Pasar Alai",,+6281374420002
P.2.0501.01.0003,Toko Kain Saiyo,"Blok B No. 7, Pasar Raya Padang",kain.saiyo@mail.example,+6281266610003
P.2.0501.01.0004,Rumah Makan Ampera Bundo,"Kios K-12, Pasar Lubuk Buaya",,+6281374420004
P.2.0501.01.0005,Toko Emas Kurnia,"Blok C No. 3, Pasar Raya Padang",emas.kurnia@mail.example,+6281266610005
P.2.0501.01.0006,Amak Yusnimar,"Los S-21, Pasar Siteba",,
P.1.0109.01.0001,PT Media Iklan Andalas,"Jl. Khatib Sulaiman No. 8, Padang",iklan@andalas.example,+62751440001
P.1.0109.01.0002,CV Baliho Ranah Minang,"Jl. Veteran No. 3, Padang",baliho@ranahminang.example,+62751440002
P.1.0109.01.0003,PT Rumah Sakit Bunda Sehat,"Jl. Proklamasi No. 41, Padang",humas@bundasehat.example,+62751440003
`;

const STALLS = `code,name,payer_npwrd,market,market_class,stall_type,area_m2,block
PRP-A-001,Kios A-001 Pasar Raya,P.2.0501.01.0001,Pasar Raya Padang,I,kios,12,A
PRP-A-002,Kios A-002 Pasar Raya,P.2.0501.01.0001,Pasar Raya Padang,I,kios,7.25,A
PRP-B-007,Kios B-007 Pasar Raya,P.2.0501.01.0003,Pasar Raya Padang,I,kios,9,B
PRP-L-044,Los L-044 Pasar Raya,P.2.0501.01.0003,Pasar Raya Padang,I,los,4,L
PRP-C-003,Kios C-003 Pasar Raya,P.2.0501.01.0005,Pasar Raya Padang,I,kios,6,C
PAL-L-003,Los L-003 Pasar Alai,P.2.0501.01.0002,Pasar Alai,II,los,3.3,L
PBL-L-010,Los L-010 Pasar Belimbing,P.2.0501.01.0002,Pasar Belimbing,III,los,1.5,L
PLB-K-012,Kios K-012 Pasar Lubuk Buaya,P.2.0501.01.0004,Pasar Lubuk Buaya,II,kios,16,K
PLB-L-013,Los L-013 Pasar Lubuk Buaya,P.2.0501.01.0004,Pasar Lubuk Buaya,II,los,6,L
PST-L-021,Los S-21 Pasar Siteba,P.2.0501.01.0006,Pasar Siteba,II,los,2.25,S
PBB-K-005,Kios K-005 Pasar Bandar Buat,P.2.0501.01.0006,Pasar Bandar Buat,III,kios,8,K
`;

const BILLBOARDS = `code,name,payer_npwrd,reklame_type,area_m2,sides,road_class,duration_months,location,permit_no
RKL-0001,Billboard Simpang Haru,P.1.0109.01.0001,billboard,24,2,I,12,"Jl. Jend. Sudirman, Simpang Haru",503/RK/001/2026
RKL-0002,Billboard Bypass Lubuk Begalung,P.1.0109.01.0001,billboard,32,2,II,12,Jl. By Pass Lubuk Begalung,503/RK/002/2026
RKL-0003,Megatron Simpang Kandang,P.1.0109.01.0001,megatron,18,1,I,12,"Jl. M. Yamin, Simpang Kandang",503/RK/003/2026
RKL-0004,Baliho Pameran Pembangunan,P.1.0109.01.0002,baliho,15,1,II,3,Jl. Khatib Sulaiman,503/RK/004/2026
RKL-0005,Neon box Apotek Bunda,P.1.0109.01.0003,neon_box,1.01,1,III,12,Jl. Proklamasi,503/RK/005/2026
RKL-0006,Billboard RS Bunda Sehat,P.1.0109.01.0003,billboard,8,1,II,12,Jl. Proklamasi,503/RK/006/2026
`;

const SEEDER: Principal = { sub: 'seed', role: 'admin' };

export async function seedOnboardedLevies(db: Knex, levyDir = path.join(__dirname, '..', 'levies')) {
  for (const code of ONBOARDED_LEVIES) {
    await applyDefinitionFile(db, readDefinitionFile(path.join(levyDir, `${code}.yaml`)), 'seed');
  }
  const payers = await importPayers(db, SEEDER, PAYERS);
  const stalls = await importObjects(db, SEEDER, 'retribusi-pasar', STALLS);
  const billboards = await importObjects(db, SEEDER, 'pajak-reklame', BILLBOARDS);
  const rejected = [...payers.rejected, ...stalls.rejected, ...billboards.rejected];
  if (rejected.length) throw new Error(`seed data rejected: ${JSON.stringify(rejected)}`);
  return { payers: payers.rows, stalls: stalls.rows, billboards: billboards.rows };
}
