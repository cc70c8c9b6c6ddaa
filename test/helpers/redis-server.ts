// A throwaway redis-server for tests and benchmarks: started on a free port of
// 127.0.0.1 with persistence off and a private temp dir, ready once PING
// answers. Faults for failure tests: kill() (SIGKILL, kill -9, as in a crash),
// pause()/resume() and stall(ms) (SIGSTOP/SIGCONT: a hung host whose
// connections stay open), restart() on the same port (after a kill, or
// gracefully with SIGTERM). Every wait is bounded, so nothing hangs, and a
// server still running when this process exits is killed with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const NOT_FOUND = 'redis-server not found: apt-get install -y redis-server';

function findBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, 'redis-server');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  throw new Error(NOT_FOUND);
}

/** A port that was free a moment ago (the OS picks it; tiny race accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Sends PING over a raw socket; true on +PONG within `timeoutMs`. */
export function ping(port: number, timeoutMs = 200): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => finish(d.toString('latin1').startsWith('+PONG')));
    sock.once('error', () => finish(false));
    sock.once('close', () => finish(false));
  });
}

/**
 * One redis-server child process.
 * @example const redis = await RedisServer.start(); ...; await redis.stop();
 */
export class RedisServer {
  readonly port: number;
  readonly url: string;
  private readonly bin: string;
  private readonly dir: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private paused = false;

  private constructor(bin: string, port: number) {
    this.bin = bin;
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.dir = mkdtempSync(join(tmpdir(), 'bh-redis-'));
  }

  /** Starts a server on a free port (or `port`) and waits until it answers PING. */
  static async start(options: { port?: number; readyTimeoutMs?: number } = {}): Promise<RedisServer> {
    const bin = findBinary();
    const server = new RedisServer(bin, options.port ?? (await freePort()));
    await server.launch(options.readyTimeoutMs ?? 10_000);
    return server;
  }

  /** Whether the child process is running. */
  get isRunning(): boolean {
    return this.child !== null;
  }

  private async launch(readyTimeoutMs: number): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child = child;
    this.paused = false;
    // A test that crashes must not leave a (possibly stopped) redis-server behind.
    const reap = (): void => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    };
    process.once('exit', reap);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        process.removeListener('exit', reap);
        if (this.child === child) this.child = null;
        resolve();
      });
      child.once('error', () => {
        if (this.child === child) this.child = null;
        resolve();
      });
    });
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (this.child !== child) throw new Error(`redis-server exited during start on port ${this.port}: ${stderr.trim()}`);
      if (await ping(this.port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await this.exited;
    throw new Error(`redis-server did not answer PING on port ${this.port} within ${readyTimeoutMs} ms: ${stderr.trim()}`);
  }

  private async signal(sig: NodeJS.Signals, waitMs: number): Promise<void> {
    const child = this.child;
    if (child === null) return;
    child.kill(sig);
    const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), waitMs).unref());
    if ((await Promise.race([this.exited.then(() => 'ok' as const), timer])) === 'late') {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Kills the server abruptly (SIGKILL), like a crash; connections drop at once. */
  kill(): Promise<void> {
    this.paused = false;
    return this.signal('SIGKILL', 5_000);
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing answers, as in a hung host. */
  pause(): void {
    if (this.child === null) return;
    this.child.kill('SIGSTOP');
    this.paused = true;
  }

  /** Unfreezes a paused server (SIGCONT); commands sent meanwhile are then executed, late. */
  resume(): void {
    if (this.child === null) return;
    this.child.kill('SIGCONT');
    this.paused = false;
  }

  /** Whether the server is frozen by `pause()`. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Freezes the server for `ms` (SIGSTOP, then SIGCONT); resolves once it runs again. */
  async stall(ms: number): Promise<void> {
    this.pause();
    try {
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      this.resume();
    }
  }

  /**
   * Starts the server again on the same port, empty (persistence is off).
   * A running server is first killed (SIGKILL), or with `graceful` stopped
   * with SIGTERM (connections are closed, not reset).
   */
  async restart(readyTimeoutMs = 10_000, options: { graceful?: boolean } = {}): Promise<void> {
    if (this.child !== null) {
      if (options.graceful === true) {
        this.resume();
        await this.signal('SIGTERM', 5_000);
      } else await this.kill();
    }
    await this.launch(readyTimeoutMs);
  }

  /** Stops the server (SIGTERM, SIGKILL after 5 s) and removes its temp dir. Safe to call twice. */
  async stop(): Promise<void> {
    this.resume();
    await this.signal('SIGTERM', 5_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
