import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { db } from '../../db';
import { AppError, ValidationFailed } from '../../errors';
import { allow, authenticate, principal } from '../auth/middleware';
import type { RequestLimits } from '../auth/rate-limits';
import { exportExceptionsCsv, getRun, importResolutions, importStatement, listExceptions, resolveOne } from './service';

const writers = allow('finance', 'admin');
const readers = allow('finance', 'auditor', 'admin');


const uploadQuery = z
  .object({
    channel: z.string().min(1).max(40),
    from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    format: z.string().min(1).max(40).default('canonical'),
  })
  .strict();

const RAW_TYPES = ['text/csv', 'text/plain', 'application/octet-stream'];

/** The file's bytes as they arrive: the body itself, or the `file` part of a multipart form. */
function statementBody(req: Request): Promise<{ stream: Readable; fileName: string | null }> {
  if (req.is('multipart/form-data')) return multipartFile(req);
  if (req.is(RAW_TYPES)) return Promise.resolve({ stream: req, fileName: null });
  throw new AppError('unsupported_media_type', `Send the statement as ${RAW_TYPES.join(', ')} or multipart/form-data with a file field`, 415);
}

function multipartFile(req: Request): Promise<{ stream: Readable; fileName: string | null }> {
  return new Promise((resolve, reject) => {
    const form = busboy({ headers: req.headers, limits: { files: 1, fieldSize: 1024 } });
    let file: Readable | undefined;
    const fail = (e: AppError) => {
      // Before the file part the promise carries the error; after it, the file stream does.
      if (file) file.destroy(e);
      else reject(e);
    };
    form.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        fail(new AppError('unexpected_form_field', `Form part ${name} is not read: send the statement as the part named file`, 400));
        return;
      }
      file = stream;
      resolve({ stream, fileName: info.filename ?? null });
    });
    form.on('field', (name) => fail(new AppError('unexpected_form_field', `Form field ${name} is not read: channel, from, to and format go in the query`, 400)));
    form.on('filesLimit', () => fail(new AppError('unexpected_form_field', 'Send one file per statement', 400)));
    form.on('error', (e) => fail(new AppError('multipart_malformed', `The multipart body is malformed: ${(e as Error).message}`, 400)));
    form.on('close', () => {
      if (!file) reject(new AppError('statement_file_missing', 'The form has no file part named file', 400));
    });
    req.pipe(form);
  });
}

/**
 * The statement upload streams its body, so it is mounted ahead of the API router, whose body
 * parsers would read the whole file into memory (and whose contract validator buffers multipart
 * files through multer). It applies the API's rate limits and checks the token and its query
 * itself, as strictly as the contract.
 */
export function statementUploadRoutes(limits: RequestLimits): Router {
  const router = Router();
  router.post('/', limits.perIp, authenticate, limits.perToken, writers, uploadStatement);
  return router;
}

async function uploadStatement(req: Request, res: Response): Promise<void> {
  const q = uploadQuery.safeParse(req.query);
  if (!q.success) {
    throw new ValidationFailed(
      q.error.issues.map((i) => (i.path.length ? `query.${i.path.join('.')}: ${i.message}` : i.message)).join('; '),
      { errors: q.error.issues.map((i) => ({ path: `/query/${i.path.join('/')}`, message: i.message })) },
    );
  }
  const { stream, fileName } = await statementBody(req);
  const { run, reimported } = await importStatement(db(), principal(req), { ...q.data, fileName }, stream);
  const view = await getRun(db(), run.id);
  res
    .status(reimported ? 200 : 202)
    .location(`/api/v1/reconciliation/runs/${run.id}`)
    .json({ ...view, reimported });
}

/** Everything else goes through the API router: JSON or a small CSV, checked by the contract. */
export const reconciliationRoutes = Router();

reconciliationRoutes.get('/reconciliation/runs/:id', readers, async (req, res) => {
  res.json(await getRun(db(), String(req.params.id)));
});

reconciliationRoutes.get('/reconciliation/exceptions', readers, async (req, res) => {
  const q = req.query as Record<string, string | undefined>;
  res.json(await listExceptions(db(), { run: q.run, outcome: q.outcome, status: q.status, cursor: q.cursor, limit: q.limit ? Number(q.limit) : undefined }));
});

reconciliationRoutes.get('/reconciliation/exceptions.csv', readers, async (req, res) => {
  const q = req.query as Record<string, string | undefined>;
  const rows = exportExceptionsCsv(db(), { run: q.run, outcome: q.outcome, status: q.status });
  // The first chunk is awaited before the headers go out, so a bad filter still answers 400.
  const first = await rows.next();
  res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="reconciliation-exceptions.csv"');
  if (!first.done) res.write(first.value);
  for await (const chunk of rows) {
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
});

reconciliationRoutes.post('/reconciliation/exceptions/resolutions', writers, async (req, res) => {
  res.json(await importResolutions(db(), principal(req), req.body));
});

reconciliationRoutes.post('/reconciliation/exceptions/:id/resolve', writers, async (req, res) => {
  res.json(await resolveOne(db(), principal(req), Number(req.params.id), req.body));
});
