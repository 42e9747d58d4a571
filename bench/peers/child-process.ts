/**
 * The harness's handle on one runtime's child process (bench/peers/child.ts): spawns it with an
 * IPC channel, measures its cold start (spawn → first output received), and turns the message
 * protocol (bench/peers/protocol.ts) into awaitable calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO_ROOT } from './peer-modules.js';
import type { ChildArgs, FromChild, ToChild } from './protocol.js';

const CHILD_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.ts');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export type Ready = Extract<FromChild, { type: 'ready' }>;

export class ChildFailed extends Error {
  override name = 'ChildFailed';
}

export class RuntimeChild {
  private readonly inbox: FromChild[] = [];
  private waiter?: { resolve: (m: FromChild) => void; reject: (e: Error) => void };
  private exited?: string;
  private stderr = '';

  private constructor(private readonly proc: ChildProcess, private readonly what: string) {
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-4000)));
    proc.on('message', (m: FromChild) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(m);
      } else this.inbox.push(m);
    });
    proc.on('exit', (code, signal) => {
      this.exited = `${what} exited (${signal ?? `code ${code}`})${this.stderr ? `; stderr:\n${this.stderr.trim()}` : ''}`;
      this.waiter?.reject(new ChildFailed(this.exited));
      this.waiter = undefined;
    });
  }

  /**
   * Starts a child for `args` and waits for its first output. `coldStartMs` is the wall time from
   * `spawn` to the 'ready' message: process start, runtime import, session creation, first run.
   */
  static async start(args: ChildArgs, nodeFlags: readonly string[] = []): Promise<{ child: RuntimeChild; ready: Ready; coldStartMs: number }> {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [...nodeFlags, '--import', TSX_LOADER, CHILD_SCRIPT, JSON.stringify(args)], {
      cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced',
    });
    const child = new RuntimeChild(proc, `${args.runtime} (${args.threads} thread${args.threads > 1 ? 's' : ''})`);
    const m = await child.next();
    const coldStartMs = performance.now() - t0;
    if (m.type !== 'ready') {
      child.kill();
      throw new ChildFailed(m.type === 'failed' ? `${child.what} failed at ${m.stage}: ${m.message}` : `${child.what}: unexpected '${m.type}'`);
    }
    return { child, ready: m, coldStartMs };
  }

  /** Runs a child that only imports the runtime's modules, so their transforms are cached. */
  static async prime(args: ChildArgs, nodeFlags: readonly string[] = []): Promise<void> {
    const proc = spawn(process.execPath, [...nodeFlags, '--import', TSX_LOADER, CHILD_SCRIPT, JSON.stringify({ ...args, prime: true })], {
      cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'advanced',
    });
    await new Promise((resolve) => proc.on('exit', resolve));
  }

  /** Median spawn → ready of 3 children that load nothing: Node + tsx start-up. */
  static async startupMs(nodeFlags: readonly string[] = []): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { child, coldStartMs } = await RuntimeChild.start({ runtime: 'ours', caseDir: '', threads: 1, baseline: true }, nodeFlags);
      times.push(coldStartMs);
      child.kill();
    }
    return times.sort((a, b) => a - b)[1];
  }

  private next(): Promise<FromChild> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exited) return Promise.reject(new ChildFailed(this.exited));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Sends `message` and returns the reply of type `expect` (a 'failed' reply or an exit throws). */
  async request<T extends FromChild['type']>(message: ToChild, expect: T): Promise<Extract<FromChild, { type: T }>> {
    this.proc.send(message);
    const m = await this.next();
    if (m.type === 'failed') throw new ChildFailed(`${this.what} failed at ${m.stage}: ${m.message}`);
    if (m.type !== expect) throw new ChildFailed(`${this.what}: expected '${expect}', got '${m.type}'`);
    return m as Extract<FromChild, { type: T }>;
  }

  /** Asks the child to dispose and exit; returns its peak RSS (bytes). */
  async finish(): Promise<number> {
    const done = await this.request({ type: 'exit' }, 'done');
    await new Promise((resolve) => (this.exited ? resolve(undefined) : this.proc.on('exit', resolve)));
    return done.peakRssBytes;
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}
