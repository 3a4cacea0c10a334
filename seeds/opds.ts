import type { Knex } from 'knex';

/**
 * The OPDs that brought levies after Diskominfo's tower levy: Bapenda (regional taxes, here the
 * billboard tax) and Dinas Perdagangan (market stalls). Their levy types are definition files in
 * levies/, applied by the demo seed or by `kasda levy apply`; the OPDs themselves are reference
 * data, since an OPD admin's token names its OPD.
 */
export const OPDS = [
  {
    code: 'BAPENDA',
    name: 'Badan Pendapatan Daerah',
    pemda_name: 'Pemerintah Kota Padang',
    address: 'Jl. Bagindo Aziz Chan No. 1, Aie Pacah, Padang',
    head_name: 'Drs. Yosefriawan, M.Si',
    head_nip: '19690817 199003 1 006',
    head_title: 'Kepala Badan Pendapatan Daerah',
  },
  {
    code: 'DISDAG',
    name: 'Dinas Perdagangan',
    pemda_name: 'Pemerintah Kota Padang',
    address: 'Jl. M. Yamin, Kompleks Pasar Raya Padang',
    head_name: 'Hj. Nurhasanah Putri, S.E., M.M',
    head_nip: '19750302 200003 2 003',
    head_title: 'Kepala Dinas Perdagangan',
  },
];

export async function seedOpds(db: Knex): Promise<void> {
  await db('opds').insert(OPDS).onConflict('code').merge();
}
