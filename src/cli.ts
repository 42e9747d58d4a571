#!/usr/bin/env node
/**
 * The command line: `inception-wasm <command> [options]`. Exit codes: 0 success, 1 failure while
 * running, 2 usage error (unknown command or option, bad value) — the message names the argument
 * and the fix. Each command lives in src/commands/.
 */
import { parseArgs } from 'node:util';
import { suggestion } from './util/options.js';
import { features } from './bindings/features.js';
import { UsageError, type CliCommand, type Values } from './commands/command.js';
import { bench } from './commands/bench.js';
import { classify } from './commands/classify.js';
import { demo } from './commands/demo.js';
import { draw } from './commands/draw.js';
import { exportCommand } from './commands/export.js';
import { info } from './commands/info.js';
import { inspect } from './commands/inspect.js';
import { list } from './commands/list.js';
import { quantize } from './commands/quantize.js';

const COMMANDS: Record<string, CliCommand> = {
  list,
  info,
  inspect,
  classify,
  bench,
  draw,
  export: exportCommand,
  quantize,
  demo,
  features: {
    summary: 'what this runtime supports (SIMD, relaxed SIMD, threads, cores)',
    usage: 'inception-wasm features',
    options: {},
    run: async () => console.log(JSON.stringify(await features(), null, 2)),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: inception-wasm <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'inception-wasm <command> --help' shows a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  // Own names only: 'constructor' or '__proto__' would otherwise find Object's members.
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`inception-wasm: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest, options: command.options, strict: true, allowPositionals: command.positionals ?? false,
    });
    await command.run(values as Values, positionals);
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      // parseArgs reads '--threads -1' as a missing value followed by an option '-1'.
      const unknown = err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(--?[^']+)'/.exec(err.message)?.[1] : undefined;
      const message = err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument is ambiguous/.test(err.message)
        ? `${err.message.split('\n')[0]} A value starting with '-' is written --option=-value (e.g. --threads=-1, which is then checked like any value).`
        : unknown !== undefined
          ? `unknown option '${unknown}'; ${suggestion(unknown, Object.keys(command.options).map((o) => `--${o}`), 'options')}`
          : err.message;
      console.error(`inception-wasm ${name}: ${message}\nusage: ${command.usage}`);
      return 2;
    }
    console.error(`inception-wasm ${name}: ${err.message}`);
    return 1;
  }
}

// A closed pipe (`inception-wasm list | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
