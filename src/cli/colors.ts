// Colour only for a terminal. chalk already honours FORCE_COLOR and a non-TTY stream, but not
// NO_COLOR (https://no-color.org), so a non-empty NO_COLOR turns colour off here, before FORCE_COLOR.
import { Chalk, supportsColor, supportsColorStderr, type ChalkInstance } from 'chalk';

export type Stream = 'stdout' | 'stderr';

export function colorsFor(stream: Stream, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const noColor = env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return new Chalk({ level: 0 });
  const detected = stream === 'stdout' ? supportsColor : supportsColorStderr;
  return new Chalk({ level: detected === false ? 0 : detected.level });
}

/** Whether a progress bar may be drawn: only on an interactive terminal. */
export function isTerminal(stream: Stream): boolean {
  return stream === 'stdout' ? process.stdout.isTTY === true : process.stderr.isTTY === true;
}

