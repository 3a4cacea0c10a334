/**
 * Ledger account names. An account is a string, so a new payer, levy or bank channel needs no
 * set-up: `receivable:payer:12:retribusi-menara`, `revenue:4.1.02.01.13.0001`,
 * `clearing:bni-ecollection`, `credit:payer:12`.
 */
export const account = {
  receivable: (payerId: number, levyCode: string) => `receivable:payer:${payerId}:${levyCode}`,
  revenue: (accountCode: string) => `revenue:${accountCode}`,
  clearing: (channelCode: string) => `clearing:${channelCode}`,
  payerCredit: (payerId: number) => `credit:payer:${payerId}`,
};
