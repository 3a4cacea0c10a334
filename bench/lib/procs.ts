import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './common';

/**
 * Kasda processes started for a benchmark, each a plain `node --import tsx …` (no wrapper process,
 * so the pid is the process whose memory is read). Peak RSS is the kernel's own high-water mark
 * (VmHWM), read every 200 ms and once more just before the process is stopped.
 */
export interface Proc {
  name: string;
  child: ChildProcess;
  /** Set once it has exited. */
  exitCode: number | null;
  /** Resolves with stdout once the process exits by itself. */
  output(): Promise<string>;
  /** CPU time used so far (user + system), in seconds. */
  cpuSeconds(): number;
  stop(): Promise<number>;
}

/** V8's old-space limit for Kasda processes (BENCH_HEAP_MB; 0 leaves V8's default). */
export const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 256);

const peaks: Array<{ name: string; mb: number }> = [];

/** Peak RSS of every Kasda process started so far, largest first. */
export function memoryPeaks(): Array<{ name: string; mb: number }> {
  return [...peaks].sort((a, b) => b.mb - a.mb);
}

/** Clock ticks per second of /proc/<pid>/stat times: USER_HZ, 100 on Linux. */
const CLOCK_TICKS = 100;

function readCpuSeconds(pid: number): number {
  try {
    // The command name (field 2) may hold spaces; the fields after it are fixed.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Busy and total CPU time of the whole machine, in clock ticks, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = ticks.map(Number);
  const idle = n[3] + n[4];
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function readHwmMb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  /** Counted in peak_rss_mb (false for stand-ins such as the bank simulator and the load generator). */
  kasda?: boolean;
}

/** Starts `node --import tsx <script> …args`; BENCH_CPU_PROF=dir writes a V8 CPU profile per process. */
export function startProc(name: string, script: string, args: string[], opts: StartOptions): Proc {
  const nodeArgs = ['--import', 'tsx'];
  // Each Kasda process is given the memory budget it would have in a 512 MiB container, where Node
  // sizes V8's heap from the limit; unbounded, V8 on this 24 GiB machine lets garbage pile up first.
  if (opts.kasda !== false && HEAP_MB > 0) nodeArgs.push(`--max-old-space-size=${HEAP_MB}`);
  const profDir = process.env.BENCH_CPU_PROF;
  if (profDir && opts.kasda !== false) {
    // A folder per process: tsx's loader thread writes a profile of its own beside the main one (…0.001).
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(profDir, `${name.replace(/\W+/g, '.')}.${Date.now()}`)}`);
  }
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  let peak = 0;
  let cpu = 0;
  const sample = () => {
    if (!child.pid) return;
    peak = Math.max(peak, readHwmMb(child.pid));
    cpu = Math.max(cpu, readCpuSeconds(child.pid) || 0);
  };
  const timer = setInterval(sample, 200);
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      clearInterval(timer);
      proc.exitCode = code ?? (signal ? 128 : 1);
      if (opts.kasda !== false) peaks.push({ name, mb: peak });
      resolve(proc.exitCode);
    });
  });
  const proc: Proc = {
    name,
    child,
    exitCode: null,
    async output() {
      const code = await exited;
      if (code !== 0) throw new Error(`${name} exited with ${code}:\n${stderr || stdout.slice(-4000)}`);
      return stdout;
    },
    cpuSeconds: () => {
      sample();
      return cpu;
    },
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      sample();
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
  child.once('exit', (code) => {
    if (code !== 0 && code !== null && stderr) process.stderr.write(`[${name}] ${stderr.slice(-2000)}\n`);
  });
  return proc;
}

/** `kasda serve` / `kasda work` / `kasda bank-sim` as their own processes. */
export function startKasda(name: string, command: 'serve' | 'work' | 'bank-sim', opts: StartOptions): Proc {
  return startProc(name, 'src/cli.ts', [command], opts);
}
