import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** One Ajv for object attribute schemas; compiled validators are cached by schema text. */
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const cache = new Map<string, ValidateFunction>();

export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = cache.get(key);
  if (!v) {
    v = ajv.compile(schema);
    cache.set(key, v);
  }
  return v;
}

export function describeErrors(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '(object)'} ${e.message ?? 'is invalid'}`).join('; ');
}
