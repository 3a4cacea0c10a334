import fs from 'node:fs';
import os from 'node:os';

/**
 * Lowers the whole process's CPU priority to `nice` (as `nice`, 0–19). `os.setPriority` alone sets
 * only the calling thread on Linux, where each thread has its own niceness: V8's garbage-collector
 * and compiler threads and libuv's pool would go on at the old priority, and a process rendering
 * PDFs spends much of its CPU in them. Every thread there now is set; threads started later take
 * the main thread's. Where there is no /proc, the main thread alone is set.
 */
export function lowerPriority(nice: number): void {
  let threads: string[];
  try {
    threads = fs.readdirSync('/proc/self/task');
  } catch {
    os.setPriority(nice);
    return;
  }
  for (const tid of threads) {
    try {
      os.setPriority(Number(tid), nice);
    } catch {
      // A thread that ended meanwhile.
    }
  }
}
