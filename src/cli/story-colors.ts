// Colours for an anomaly's story, by the kind of event each line tells, so the eye finds the
// turning points of a timeline: faults red, leadership (elections, ISR changes) yellow,
// truncations magenta, group rebalances and generations cyan, commits green; sends, acks,
// processings and findings stay plain.
//
// A StoryLine (src/checker/anomalies.ts) carries only its time and its text, so the kind is read
// from the text the story builders write (src/checker/log-stories.ts, consumer-stories.ts,
// src/example/checker.ts); test/cli/story-colors.test.ts builds lines with those very functions,
// so a change of wording there fails a test here rather than silently losing a colour.
import type { ChalkInstance } from 'chalk';

export type StoryKind = 'fault' | 'leadership' | 'truncation' | 'rebalance' | 'commit';

// First match wins: a refused commit names its coordinator, so commits are tried before rebalances.
const PATTERNS: readonly (readonly [StoryKind, RegExp])[] = [
  ['fault', /^(fault|healed) \(/],
  ['fault', /^power loss on /],
  ['truncation', /^\S+ truncated /],
  ['commit', / committed offset \d+ of /],
  ['commit', /'s commit of offset \d+ of /],
  ['commit', / was told its commit of offset /],
  ['commit', /^no commit of \S+ for group /],
  ['rebalance', /^coordinator \S+ (began a rebalance|started generation|removed .* from group)/],
  ['rebalance', /^group \S+ is stable in generation /],
  ['rebalance', / \(generation \d+\) (was assigned|lost|gave up) /],
  ['rebalance', / did not poll for \d+ ms /],
  ['rebalance', /^\S+ joins group /],
  ['rebalance', / (became the coordinator of|stopped coordinating) group /],
  ['leadership', /^controller \S+ (elected \S+ leader of|set the ISR of|found \S+ registered again) /],
  ['leadership', / (shrank|grew) the ISR of /],
  ['leadership', / went offline: no replica of ISR /],
  ['leadership', /^\S+ became primary of view /],
];

/** The kind of event a story line tells, or null for a line that is none of them. */
export function storyKind(text: string): StoryKind | null {
  for (const [kind, pattern] of PATTERNS) if (pattern.test(text)) return kind;
  return null;
}

/** A story line's text in its kind's colour; chalk at level 0 (no terminal, NO_COLOR) leaves it plain. */
export function paintStory(text: string, c: ChalkInstance): string {
  switch (storyKind(text)) {
    case 'fault':
      return c.red(text);
    case 'leadership':
      return c.yellow(text);
    case 'truncation':
      return c.magenta(text);
    case 'rebalance':
      return c.cyan(text);
    case 'commit':
      return c.green(text);
    case null:
      return text;
  }
}
