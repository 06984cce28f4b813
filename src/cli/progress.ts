// The progress bar: stderr only, and only on a terminal, so pipes, files and CI logs stay clean.
// cli-progress reads the wall clock for its ETA, which the CLI (and only the CLI) may do.
import cliProgress from 'cli-progress';

export interface Progress {
  tick(failing: number): void;
  /** Blanks the bar's line so that a report block printed now does not mix with it. */
  clear(): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { tick() {}, clear() {}, stop() {} };

export function startProgress(total: number, enabled: boolean): Progress {
  if (!enabled) return NO_PROGRESS;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'ksim {bar} {value}/{total} runs | {failing} failing | {duration_formatted} | eta {eta_formatted}',
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  // The bar turns the terminal's line wrapping off while drawn: on Ctrl-C or SIGTERM, `ksim run`'s own
  // handler (run-command.ts) calls stop() to restore it before it reports what was found.
  bar.start(total, 0, { failing: 0 });
  return {
    tick: (failing) => bar.increment(1, { failing }),
    clear: () => process.stderr.write('\r\u001B[2K'),
    stop: () => bar.stop(),
  };
}
