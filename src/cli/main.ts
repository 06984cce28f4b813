// The `ksim` command line (started through ksim.mjs, which registers tsx). Commander parses;
// every way out goes through one exit code: 0 held, 1 failed or simulator bug, 2 bad input or usage,
// 130 a run interrupted by Ctrl-C (SIGINT), 143 one terminated by SIGTERM.
import { Command, CommanderError } from 'commander';
import { colorsFor } from './colors.js';
import { judgeCommand } from './judge.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printError } from './errors.js';
import { replay, type ReplayFlags } from './replay.js';
import { defaultWorkers, runCommand, type RunFlags } from './run-command.js';
import { UsageError } from './usage.js';
import { KSIM_VERSION } from './version.js';

const RUN_HELP = `
Seeds:
  no flag          each scenario runs once, with its own \`seed:\` (default 1)
  --seed 7         seed 7 only
  --seeds 20       seeds 1..20
  --seeds 100..199 seeds 100 to 199, inclusive
  Expectations are judged per scenario over all the seeds run (never / always / sometimes).

Output:
  Text verdicts go to stdout; with --json, stdout has only the JSON lines (fields: scenario,
  file, seed, traceHash, simulatedMs, events, messages, anomalies, ok, broken, budgetExhausted,
  instances; a run that crashed has simulatorBug and reproduce instead) and the text goes to
  stderr. Output is in (scenario, seed) order whatever --workers is. A progress bar is drawn on
  stderr only on a terminal, and not with --quiet or --json. Colour only on a terminal; NO_COLOR
  turns it off, FORCE_COLOR forces it.

Failure files:
  Each seed that breaks a \`never\` or \`always\` expectation writes
  reports/failures/<scenario>/seed-<N>.json (relative to the current folder) with the scenario
  text, the seed and the trace hash, and prints the command that replays it:
    npx ksim replay reports/failures/<scenario>/seed-<N>.json
  A seed that holds removes its stale failure file.

CI:
  --shard I/N      run this machine's share of the suite: the runs (scenario order, then seed)
                   numbered from 0, those with number mod N = I-1; shards 1/N .. N/N together run
                   every run once. \`never\` and \`always\` are judged seed by seed, so each shard
                   decides them for its seeds; a \`sometimes\` that a shard holding only part of a
                   scenario's seeds did not see is left open, not failed. The suite's verdict over
                   all shards, as one machine would give it:
                     ksim run scenarios/ --seeds 100 --shard 2/3 --json > shard-2.jsonl   (each machine)
                     ksim judge shard-1.jsonl shard-2.jsonl shard-3.jsonl
  --check-determinism
                   run every seed twice (the second run on another worker thread when there are
                   several) and fail, naming scenario, seed and both trace hashes, if they differ

Exit codes:
  0    every expectation held
  1    an expectation failed, or a SIMULATOR BUG: a run threw (a broken model invariant); it is
       reported with its scenario, its seed and the command that reproduces it; or, with
       --check-determinism, a seed gave two different traces
  2    bad input (every scenario error is listed, nothing runs), bad usage, or a report file
       that cannot be written
  130  interrupted (Ctrl-C): the workers stop, the failure files already written stay (each is
       written whole), the scenarios finished so far are reported, and a line says after how
       many of the runs the run stopped; --junit still writes its file: the finished scenarios
       as usual, each unfinished one <skipped message="interrupted after K of N runs"/> (K of
       its N seeds ran). A second Ctrl-C quits at once.
  143  terminated by SIGTERM (a CI runner cancelling the job, \`timeout\`): as for Ctrl-C
`;

const ROOT_HELP = `
Examples:
  ksim run scenarios/                      every scenario once, with its own seed
  ksim run scenarios/acks-1.yaml --seeds 50 --workers 4
  ksim run scenarios/ --seeds 20 --json --junit reports/junit.xml
  ksim replay reports/failures/acks-1-leader-crash/seed-7.json
  ksim run scenarios/ --seeds 100 --shard 1/3 --json > shard-1.jsonl
  ksim judge shard-1.jsonl shard-2.jsonl shard-3.jsonl

Exit codes: 0 every expectation held; 1 an expectation failed or a simulator bug; 2 bad input or
usage; 130 interrupted by Ctrl-C; 143 terminated by SIGTERM.
`;

function buildProgram(setExitCode: (code: number) => void): Command {
  const red = colorsFor('stderr').red.bold;
  const program = new Command('ksim')
    .description('A deterministic simulator of Apache Kafka (ZooKeeper mode) with fault injection')
    .version(KSIM_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      // Commander's own errors (unknown option, missing argument) as one line, like ours.
      outputError: (text, write) => write(`${red('ksim:')} ${text.trim().replace(/\s*\n\s*/g, ' ')} (ksim --help shows usage)\n`),
    })
    .addHelpText('after', ROOT_HELP);
  program
    .command('run')
    .description('run scenario files (or every *.yaml / *.yml in a folder) and judge their expectations')
    .argument('<paths...>', 'scenario files or folders')
    .option('--seed <N>', "run seed N only (default: each scenario's own `seed:`)")
    .option('--seeds <N|A..B>', 'run seeds 1..N, or A..B inclusive')
    .option('--workers <N>', `worker threads; 1 runs in-process (default: min(2, CPUs) = ${defaultWorkers()})`)
    .option('--shard <I/N>', "run shard I of N: every N-th run of the suite, from the I-th (see CI below)")
    .option('--check-determinism', 'run every seed twice and fail if the two trace hashes differ')
    .option('--json', 'one JSON object per (scenario, seed) per line on stdout, nothing else there')
    .option('--junit <FILE>', 'also write a JUnit XML report, one testcase per scenario')
    .option('--trace <FILE>', 'write the full trace as JSON lines; only for a single run (one scenario, one seed)')
    .option('--quiet', 'no progress bar, no timing line, one line per passing scenario')
    .addHelpText('after', RUN_HELP)
    .action(async (paths: string[], flags: RunFlags) => setExitCode(await runCommand(paths, flags)));
  program
    .command('judge')
    .description("judge the --json lines of a suite's shards together, as one machine running every seed would")
    .argument('<json-files...>', "files of ksim run --json lines (one per shard; - reads stdin)")
    .addHelpText('after', `
Each (scenario, seed) may come once. Each scenario's expect: and claim are read from the file its
lines name, relative to the current folder. Prints the verdict table and the seeds of each scenario.

Exit codes: 0 every expectation held; 1 one failed (or a run was a simulator bug); 2 unreadable or
duplicated lines, or a scenario file that does not load.
`)
    .action((files: string[]) => setExitCode(judgeCommand(files)));
  program
    .command('replay')
    .description('re-run a failure file: check the trace hash, tell the anomalies\' stories')
    .argument('<failure-file>', 'a reports/failures/<scenario>/seed-<N>.json file')
    .option('--trace <FILE>', 'write the full trace of the replayed run as JSON lines')
    .addHelpText('after', '\nExit codes: 0 the trace hash matches; 1 it differs (or a simulator bug); 2 the file is missing or not a failure file.\n')
    .action((path: string, flags: ReplayFlags) => setExitCode(replay(path, flags)));
  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    return exitCodeOf(error);
  }
}

function exitCodeOf(error: unknown): number {
  // --help and --version end as a CommanderError with exit code 0; any other is bad usage.
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (error instanceof UsageError) {
    printError(`${error.message} (ksim run --help shows usage)`);
    return EXIT_USAGE;
  }
  // A file-system error (a report or failure file that cannot be written) is the user's setup to
  // fix, like bad usage: its message names the path; a stack would only hide it.
  if (error instanceof Error && 'syscall' in error && 'code' in error) {
    printError(`${error.message} (check that the folder exists and is writable)`);
    return EXIT_USAGE;
  }
  // Anything else is a fault of the CLI itself: loud, with its stack.
  printError(`internal error in ksim: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT_FAILED;
}

// `ksim run --json | head -1` closes stdout early: stop quietly rather than die on EPIPE with a stack.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(EXIT_FAILED);
});

process.exitCode = await main(process.argv);
