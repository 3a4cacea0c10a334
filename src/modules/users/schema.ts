import { z } from 'zod';
import { ROLES } from '../auth/tokens';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords';

/** Checked in the service too, since the CLI creates users without going through the API contract. */
const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(200)
  .regex(/^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/, 'is not an e-mail address');
const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

export const newUser = z.object({
  email,
  name: z.string().trim().min(1).max(200),
  role: z.enum(ROLES),
  payer: z.string().min(1).max(40).nullish(),
  opd: z.string().min(1).max(12).nullish(),
  password,
});
export type NewUser = z.input<typeof newUser>;

export const userChange = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  role: z.enum(ROLES).optional(),
  payer: z.string().min(1).max(40).nullish(),
  opd: z.string().min(1).max(12).nullish(),
  password: password.optional(),
  disabled: z.boolean().optional(),
  unlock: z.literal(true).optional(),
});
export type UserChange = z.input<typeof userChange>;

export interface FieldError {
  field: string;
  reason: string;
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(body)', reason: i.message }));
}
