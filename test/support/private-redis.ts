import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { resetConfig } from '../../src/config';
import { waitFor } from './harness';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * A Redis server of the test's own, on a free port, that the test can stop and start again to
 * show what Kasda does while Redis is away. `start` points REDIS_URL (and the config) at it;
 * `close` puts the machine's Redis back.
 */
export class PrivateRedis {
  private server: ChildProcess | null = null;
  private readonly original = process.env.REDIS_URL;
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.server = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    process.env.REDIS_URL = this.url;
    resetConfig();
    await waitFor('private redis up', () => answers(this.port));
  }

  async stop(): Promise<void> {
    this.server?.kill('SIGKILL');
    this.server = null;
    await waitFor('private redis gone', async () => !(await answers(this.port)));
  }

  async close(): Promise<void> {
    this.server?.kill('SIGKILL');
    this.server = null;
    process.env.REDIS_URL = this.original;
    resetConfig();
  }
}
