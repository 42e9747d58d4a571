/**
 * Runs the command line as a user does, from the TypeScript sources (`node --import tsx
 * src/cli.ts …` in the repository root), and returns its exit code and output — never throws on
 * a non-zero exit.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const REPO = new URL('../../', import.meta.url).pathname;
const exec = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: readonly string[]): Promise<CliResult> {
  try {
    const r = await exec(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: REPO });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
