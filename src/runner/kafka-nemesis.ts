// The nemesis fault kinds only a Kafka cluster has: the brokers cut from ZooKeeper, and one
// broker's ZooKeeper session expired. The kernel draws its own kinds (kill, restart, pause, ...).
import type { SystemFaultKind } from '../../sim/index.js';

export interface KafkaNemesisNodes {
  readonly brokers: readonly string[];
  readonly zookeeper: string;
  readonly sessionTimeoutMs: number;
  readonly tickTimeMs: number;
}

export function kafkaNemesisKinds(nodes: KafkaNemesisNodes): Record<string, SystemFaultKind> {
  return {
    // Every broker on one side, ZooKeeper on the other; clients (in neither group) reach both.
    'zookeeper-split': () => ({ action: { kind: 'partition', groups: [[...nodes.brokers], [nodes.zookeeper]] } }),
    // One broker cut from ZooKeeper past zookeeper.session.timeout.ms: the server expires its
    // session (its ephemeral registration goes, and /controller if it held it) while clients
    // still reach it. Healed, it learns of the expiry, opens a new session and registers again.
    // ZooKeeper expires sessions on tick boundaries, hence the two ticks.
    'zookeeper-expiry': (random, targets) => {
      const brokers = targets.filter((t) => nodes.brokers.includes(t));
      if (brokers.length === 0) return null;
      const broker = random.pick(brokers);
      return {
        action: { kind: 'partition', groups: [[broker], [nodes.zookeeper]] },
        label: `zookeeper-expiry ${broker} (cut from ${nodes.zookeeper} past its ${nodes.sessionTimeoutMs} ms session timeout)`,
        durationUs: (drawnUs) => (nodes.sessionTimeoutMs + 2 * nodes.tickTimeMs) * 1000 + drawnUs,
      };
    },
  };
}
