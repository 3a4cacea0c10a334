import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const onLinux = fs.existsSync('/proc/self/task') ? describe : describe.skip;

onLinux('lowerPriority', () => {
  it('When a process lowers its priority, then every thread has the new niceness, those V8 started before and those started after', () => {
    const root = path.join(__dirname, '..', '..');
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/fixtures/lower-priority.ts', '7'], { cwd: root, encoding: 'utf8' });
    const threads: number[] = JSON.parse(out.trim().split('\n').pop()!);
    // The main thread, V8's platform threads and the late worker at least.
    expect(threads.length).toBeGreaterThan(3);
    expect(new Set(threads)).toEqual(new Set([7]));
  });
});
