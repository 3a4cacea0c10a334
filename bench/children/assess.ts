import { closeDb, db } from '../../src/db';
import { runAssessment } from '../../src/modules/assessments/service';
import { closeQueues } from '../../src/queues';

/**
 * One Kasda process running one assessment with the real runAssessment (as the assessments worker
 * does), so its time and memory are its own. Prints one JSON line.
 */
async function main() {
  const id = process.argv[2];
  const started = performance.now();
  await runAssessment(db(), id);
  const seconds = (performance.now() - started) / 1000;
  await closeQueues();
  await closeDb();
  console.log(JSON.stringify({ seconds }));
}

void main();
