/**
 * The one executor (src/bindings/executor.ts): every path that runs a program — the workers, the
 * one-thread path, debug mode and `profile()` — walks it through `runSteps`, and differs only in
 * its hooks. Checked here: where the walk asks for a barrier (after each step the next one
 * depends on, never after the last), how tasks are claimed, the order of the step hooks, and that
 * a failing task is named by step index, step name and task on every path.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/bindings/arena.js';
import { profileProgram, runProgramChecked, runProgramInline, runSteps, TaskError } from '../../src/bindings/executor.js';
import { asKernels, pixelTasks, type AddStep, type Kernels, type Program, type View } from '../../src/bindings/program.js';
import { compileKernelModule, instantiateKernels } from '../../src/bindings/wasm-module.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every source file `entry` loads, following relative imports (static and dynamic). */
function importClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(SRC, file), 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*['"](\.[^'"]+)['"]/g)) {
      if (/^import type /m.test(text.slice(text.lastIndexOf('\n', m.index) + 1, m.index + m[0].length))) continue;
      visit(relative(SRC, resolve(SRC, dirname(file), m[1].replace(/\.js$/, '.ts'))));
    }
  };
  visit(entry);
  return [...seen].sort();
}

let k: Kernels;
let arena: Arena;

beforeAll(async () => {
  const module = await compileKernelModule({ build: 'baseline', shared: false });
  arena = new Arena({ shared: false, initialBytes: 1 << 20 });
  k = asKernels(instantiateKernels(module, arena.memory));
});

/** `x ← x + x` over `pixels` pixels of 4 channels, `perTask` pixels per task. */
function doubling(x: View, name: string, perTask: number, overlapsNext?: boolean): AddStep {
  return {
    kind: 'add', name, a: x, b: x, out: x, scale: 1, clamp: { lo: -Infinity, hi: Infinity }, pixelsPerTask: perTask,
    tasks: pixelTasks(x, perTask), macs: 0, ...(overlapsNext ? { overlapsNext } : {}),
  };
}

function view(offset: number, pixels: number): View {
  return { offset, batch: 1, height: 1, width: pixels, channels: 4, pixelStrideBytes: 16, imageStrideBytes: pixels * 16 };
}

function program(steps: AddStep[]): Program {
  return { steps, scratchOffset: 0, scratchBytesPerThread: 0, gemmPackOffset: 0, gemmMr: 6 };
}

describe('one executor', () => {
  it('runTask is called from one place only: the executor (workers, inline, debug and profile all walk through it)', () => {
    const callers = sourceFiles(SRC)
      .filter((f) => /\brunTask\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f))
      .sort();
    expect(callers).toEqual(['bindings/executor.ts', 'bindings/interpreter.ts']);
  });

  it('a worker loads the executor and the bindings it needs, nothing of the graph layer or the coordinator', () => {
    const loaded = importClosure('bindings/worker.ts');
    expect(loaded).toContain('bindings/executor.ts');
    expect(loaded.filter((f) => !f.startsWith('bindings/') && !f.startsWith('util/'))).toEqual([]);
    expect(loaded).not.toContain('bindings/pool.ts');
  });

  it('the walk meets at a barrier after each step the next one depends on, never after an overlapping or the last step', () => {
    const x = arena.putF32(new Float32Array(40).fill(1));
    // Steps 0, 2, 3 may overlap the next; barriers expected after steps 1 and 4 only.
    const overlaps = [true, false, true, true, false, false];
    const p = program(overlaps.map((o, i) => doubling(view(x, 10), `s${i}`, 3, o)));
    const events: string[] = [];
    const completed = runSteps(k, p, 0, {
      beforeStep: (s) => events.push(`before ${s}`),
      afterStep: (s, step) => events.push(`after ${s} ${step.name}`),
      barrier: () => (events.push('barrier'), true),
    });
    expect(completed).toBe(true);
    expect(events).toEqual([
      'before 0', 'after 0 s0', 'before 1', 'after 1 s1', 'barrier', 'before 2', 'after 2 s2', 'before 3', 'after 3 s3',
      'before 4', 'after 4 s4', 'barrier', 'before 5', 'after 5 s5',
    ]);
    expect(new Set(arena.f32(x, 40))).toEqual(new Set([64]));
  });

  it('tasks come from nextTask until it passes the step\'s last task; a failed barrier ends the walk', () => {
    const x = arena.putF32(new Float32Array(40).fill(1));
    const p = program([doubling(view(x, 10), 'a', 3), doubling(view(x, 10), 'b', 3)]);
    const claimed: string[] = [];
    let next = 0;
    const completed = runSteps(k, p, 0, {
      // Claims only the even tasks of step 0 (another thread would take the odd ones).
      nextTask: (s) => {
        const task = next;
        next += 2;
        claimed.push(`${s}:${task}`);
        return task;
      },
      barrier: () => false,
    });
    expect(completed).toBe(false);
    expect(claimed).toEqual(['0:0', '0:2', '0:4']); // 4 tasks of 3 pixels; task 4 ends the step
    // Pixels of tasks 0 and 2 doubled once, tasks 1 and 3 untouched, step 'b' never ran.
    const got = Array.from({ length: 10 }, (_, p) => arena.f32(x + p * 16, 1)[0]);
    expect(got).toEqual([2, 2, 2, 1, 1, 1, 2, 2, 2, 1]);
  });

  const trap = () => {
    const x = view(arena.putF32(new Float32Array(40).fill(1)), 10);
    const outside = { ...x, offset: arena.memory.buffer.byteLength + (64 << 20) };
    return program([doubling(x, 'fine', 5), { ...doubling(x, 'out of bounds', 5), out: outside }]);
  };

  it('a trapping task throws a TaskError naming the step index, name and task, with the cause', () => {
    let error: unknown;
    try {
      runSteps(k, trap(), 0);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TaskError);
    const t = error as TaskError;
    expect([t.step, t.stepName, t.task]).toEqual([1, 'out of bounds', 0]);
    expect(t.message).toMatch(/^step 1 'out of bounds' task 0: RuntimeError: memory access out of bounds$/);
  });

  it('the one-thread path, debug mode and profile() each name the failing step and task', () => {
    const named = /^inception-wasm: step 1 'out of bounds' task 0 failed: RuntimeError: memory access out of bounds$/;
    expect(() => runProgramInline(k, trap())).toThrow(named);
    expect(() => runProgramChecked(k, trap(), arena)).toThrow(named);
    expect(() => profileProgram(k, trap(), 1)).toThrow(named);
  });

  it('debug mode checks each step right after it runs and names the first non-finite output', () => {
    const x = view(arena.putF32(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 3e38)), 2);
    // 3e38 doubles to +Infinity in step 0 ('overflow'); step 1 would keep it infinite.
    const p = program([doubling(x, 'overflow', 1), doubling(x, 'after', 1)]);
    expect(() => runProgramChecked(k, p, arena)).toThrow(
      /node 'overflow' \(add\) produced Infinity at image 0, pixel \(0, 1\), channel 3: the first non-finite value/,
    );
  });

  it('profile() times every step, best of the repeats, with the stage hook before each repeat', () => {
    const x = arena.putF32(new Float32Array(400));
    const p = program([doubling(view(x, 100), 'a', 7), doubling(view(x, 100), 'b', 7)]);
    let staged = 0;
    const rows = profileProgram(k, p, 3, () => {
      staged++;
      arena.f32(x, 400).fill(1);
    });
    expect(staged).toBe(3);
    expect(rows.map((r) => [r.name, r.kind, r.shape])).toEqual([['a', 'add', [1, 1, 100, 4]], ['b', 'add', [1, 1, 100, 4]]]);
    expect(rows.every((r) => Number.isFinite(r.ms) && r.ms >= 0)).toBe(true);
    expect(new Set(arena.f32(x, 400))).toEqual(new Set([4])); // each repeat restaged, then doubled twice
  });
});
