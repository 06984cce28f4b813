// Fault and nemesis targets, checked against the scenario when it is loaded: a role, a topic, a
// partition, a replica index, a group or a node name that names nothing in this scenario is bad
// input with its position, never a fault skipped in silence during the run. Whether a role names
// somebody *at its moment* (leader(orders/0) while the partition is offline) is the run's to say.
import { BROKER_CONFIG } from './kafka-config.js';
import { didYouMean } from './nearest.js';
import { MAX_BROKERS } from './schema.js';
import { TARGET_RE } from './schema-leaves.js';
import type { PathSegment } from './format.js';
import { intAt, isMap, listAt, type Raw } from './raw.js';

type Add = (path: readonly PathSegment[], expected: string, found: string | null, hint: string | null) => void;

/** The sets a nemesis may name besides nodes and roles (see src/runner/nemesis-targets.ts). */
export const NEMESIS_SETS = ['brokers', 'zookeeper', 'producers', 'consumers'] as const;
/** Roles of a partition, as `role(topic/partition)` or `role(topic/partition,n)`. */
const PARTITION_ROLES = ['leader', 'leader-was', 'follower', 'replica', 'preferred'] as const;
/** Roles with an n-th: in-sync followers in assignment order, assigned replicas in order. */
const COUNTED_ROLES: readonly string[] = ['follower', 'replica'];

interface TopicShape {
  readonly partitions: number; // at its largest, after any add-partitions
  readonly replicationFactor: number;
}

interface Names {
  readonly kafka: boolean;
  readonly brokers: number;
  readonly nodes: readonly string[];
  readonly groups: readonly string[];
  /** The producers' transactional.id values: txn-coordinator(ID) names one's coordinator. */
  readonly transactionalIds: readonly string[];
  readonly topics: ReadonlyMap<string, TopicShape>;
  readonly roles: readonly string[]; // role names without arguments: controller, primary, ...
}

/** Every target of `faults` and `nemesis.targets`; skipped where the schema reports the shape. */
export function checkTargets(add: Add, data: Raw): void {
  const names = namesOf(data);
  if (names === null) return;
  for (const [index, fault] of listAt(data['faults']).entries()) {
    if (!isMap(fault)) continue;
    const path: PathSegment[] = ['faults', index];
    for (const action of ['kill', 'stop', 'power', 'restart', 'pause', 'resume', 'isolate', 'slow-disk']) {
      checkOne(add, [...path, action], fault[action], names, false);
    }
    for (const [g, group] of listAt(fault['partition']).entries()) {
      for (const [n, target] of listAt(group).entries()) checkOne(add, [...path, 'partition', g, n], target, names, false);
    }
    for (const action of ['one-way', 'hold']) {
      const ends = fault[action];
      if (!isMap(ends)) continue;
      for (const end of ['from', 'to']) if (ends[end] !== null) checkOne(add, [...path, action, end], ends[end], names, false);
    }
    checkElectPreferred(add, [...path, 'elect-preferred'], fault['elect-preferred'], names);
  }
  const nemesis = isMap(data['nemesis']) ? data['nemesis'] : null;
  for (const [index, target] of listAt(nemesis?.['targets']).entries()) checkOne(add, ['nemesis', 'targets', index], target, names, true);
}

function checkOne(add: Add, path: readonly PathSegment[], value: unknown, names: Names, nemesis: boolean): void {
  if (typeof value !== 'string' || !TARGET_RE.test(value)) return; // the schema's to report
  const problem = targetProblem(value, names, nemesis);
  if (problem !== null) add(path, problem.expected, JSON.stringify(value), problem.hint);
}

interface Problem {
  readonly expected: string;
  readonly hint: string | null;
}

/** Why `target` names nothing in this scenario, or null when it names a node, a set or a role. */
function targetProblem(target: string, names: Names, nemesis: boolean): Problem | null {
  if (names.nodes.includes(target) || names.roles.includes(target)) return null;
  if (nemesis && (NEMESIS_SETS as readonly string[]).includes(target)) return null;
  if (names.kafka) {
    const notController = /^not-controller\((\d+)\)$/.exec(target);
    if (notController !== null) {
      const others = names.brokers - 1;
      const nth = Number(notController[1]);
      if (nth >= 1 && nth <= others) return null;
      return { expected: others === 0 ? 'no not-controller: a single broker is the controller' : `not-controller(1) to not-controller(${others}): the brokers other than the controller`, hint: null };
    }
    const txnCoordinator = /^txn-coordinator\((.*)\)$/.exec(target);
    if (txnCoordinator !== null) {
      const ids = names.transactionalIds;
      if (ids.includes(txnCoordinator[1]!)) return null;
      const expected = ids.length === 0 ? 'a transactional.id of a producer (none has one)' : `txn-coordinator(ID) of a producer's transactional.id (${ids.join(', ')})`;
      return { expected, hint: didYouMean(txnCoordinator[1]!, ids) };
    }
    const coordinator = /^coordinator\((.*)\)$/.exec(target);
    if (coordinator !== null) {
      if (names.groups.includes(coordinator[1]!)) return null;
      const expected = names.groups.length === 0 ? 'a consumer group declared under consumers (none is)' : `coordinator(GROUP) of a group declared under consumers (${names.groups.join(', ')})`;
      return { expected, hint: didYouMean(coordinator[1]!, names.groups) };
    }
    const role = /^([a-z-]+)\((.*)\)$/.exec(target);
    if (role !== null) return partitionRoleProblem(role[1]!, role[2]!, names);
  }
  return { expected: `a node, ${nemesis ? 'a set, ' : ''}or a role of this scenario (${catalogue(names, nemesis)})`, hint: didYouMean(target, [...names.nodes, ...names.roles, ...(nemesis ? NEMESIS_SETS : [])]) };
}

function partitionRoleProblem(role: string, args: string, names: Names): Problem | null {
  if (!(PARTITION_ROLES as readonly string[]).includes(role)) {
    return { expected: `a partition role: ${PARTITION_ROLES.map((r) => `${r}(TOPIC/P)`).join(', ')}`, hint: didYouMean(role, [...PARTITION_ROLES, 'coordinator', 'txn-coordinator', 'not-controller']) };
  }
  const parts = /^([^/(),]+)\/(\d+)(?:,\s*(\d+))?$/.exec(args);
  if (parts === null) {
    const form = COUNTED_ROLES.includes(role) ? `${role}(TOPIC/P) or ${role}(TOPIC/P,N)` : `${role}(TOPIC/P)`;
    return { expected: form, hint: null };
  }
  const [, topic, partitionText, nthText] = parts;
  const shape = names.topics.get(topic!);
  if (shape === undefined) {
    const known = [...names.topics.keys()];
    return { expected: known.length === 0 ? 'a topic declared under topics (none is)' : `a topic declared under topics (${known.join(', ')})`, hint: didYouMean(topic!, known) };
  }
  const partition = Number(partitionText);
  if (partition >= shape.partitions) return { expected: `a partition of ${topic} from 0 to ${shape.partitions - 1}`, hint: null };
  if (nthText === undefined) return null;
  const nth = Number(nthText);
  if (!COUNTED_ROLES.includes(role)) return { expected: `${role}(${topic}/${partition}) without an n-th: a partition has one`, hint: null };
  // follower(t/p,n): the n-th in-sync follower, so at most replication.factor - 1 of them.
  const most = role === 'follower' ? shape.replicationFactor - 1 : shape.replicationFactor;
  if (nth >= 1 && nth <= most) return null;
  const what = role === 'follower' ? 'followers' : 'replicas';
  return { expected: most === 0 ? `no ${what}: ${topic} has replication.factor ${shape.replicationFactor}` : `an n-th from 1 to ${most}: ${topic} has ${most} ${what} (replication.factor ${shape.replicationFactor})`, hint: null };
}

function checkElectPreferred(add: Add, path: readonly PathSegment[], value: unknown, names: Names): void {
  if (typeof value !== 'string' || value === 'all' || !names.kafka) return;
  const parts = /^([^/(),]+)\/(\d+)$/.exec(value);
  if (parts === null) return; // the schema's to report
  const problem = partitionRoleProblem('preferred', value, names);
  if (problem !== null) add(path, problem.expected, JSON.stringify(value), problem.hint);
}

function catalogue(names: Names, nemesis: boolean): string {
  const brokers = names.nodes.filter((n) => /^b\d+$/.test(n));
  const others = names.nodes.filter((n) => !/^b\d+$/.test(n));
  const nodes = brokers.length > 2 ? [`${brokers[0]} to ${brokers.at(-1)}`, ...others] : names.nodes;
  const parts = [`nodes ${nodes.join(', ')}`];
  if (nemesis) parts.push(`sets ${NEMESIS_SETS.join(', ')}`);
  parts.push(names.kafka
    ? 'roles controller, not-controller(N), coordinator(GROUP), txn-coordinator(TRANSACTIONAL-ID), leader(TOPIC/P), leader-was(TOPIC/P), follower(TOPIC/P,N), replica(TOPIC/P,N), preferred(TOPIC/P)'
    : `roles ${names.roles.join(', ')}`);
  return parts.join('; ');
}

/** The scenario's node, group and topic names, or null when its system is not readable yet. */
function namesOf(data: Raw): Names | null {
  if (isMap(data['example'])) {
    const replicas = intAt(data['example']['replicas']);
    if (replicas === null || replicas < 1) return null;
    const nodes = Array.from({ length: replicas }, (_, i) => `n${i + 1}`);
    return { kafka: false, brokers: 0, nodes: [...nodes, 'client'], groups: [], transactionalIds: [], topics: new Map(), roles: ['primary', 'backup'] };
  }
  const cluster = isMap(data['cluster']) ? data['cluster'] : null;
  const brokers = intAt(cluster?.['brokers']);
  if (cluster === null || brokers === null || brokers < 1 || brokers > MAX_BROKERS) return null;
  const config = isMap(cluster['config']) ? cluster['config'] : {};
  const brokerInt = (key: 'num.partitions' | 'default.replication.factor' | 'offsets.topic.num.partitions' | 'offsets.topic.replication.factor'): number =>
    intAt(config[key]) ?? intAt(BROKER_CONFIG[key].default) ?? 1;
  const nodes = ['zk', ...Array.from({ length: brokers }, (_, i) => `b${i + 1}`)];
  const transactionalIds: string[] = [];
  for (const producer of listAt(data['producers'])) {
    if (!isMap(producer)) continue;
    if (typeof producer['name'] === 'string') nodes.push(producer['name']);
    const id = isMap(producer['config']) ? producer['config']['transactional.id'] : undefined;
    if (typeof id === 'string') transactionalIds.push(id);
  }
  const groups: string[] = [];
  for (const consumer of listAt(data['consumers'])) {
    if (!isMap(consumer) || typeof consumer['group'] !== 'string') continue;
    groups.push(consumer['group']);
    const members = intAt(consumer['members']) ?? 1;
    for (let i = 1; i <= members; i++) nodes.push(`${consumer['group']}-${i}`);
  }
  const topics = new Map<string, TopicShape>();
  for (const topic of listAt(data['topics'])) {
    if (!isMap(topic) || typeof topic['name'] !== 'string') continue;
    topics.set(topic['name'], { partitions: intAt(topic['partitions']) ?? brokerInt('num.partitions'), replicationFactor: intAt(topic['replication.factor']) ?? brokerInt('default.replication.factor') });
  }
  for (const fault of listAt(data['faults'])) {
    const added = isMap(fault) && isMap(fault['add-partitions']) ? fault['add-partitions'] : null;
    const shape = typeof added?.['topic'] === 'string' ? topics.get(added['topic']) : undefined;
    const partitions = intAt(added?.['partitions']);
    if (shape !== undefined && partitions !== null && partitions > shape.partitions) topics.set(added!['topic'] as string, { ...shape, partitions });
  }
  if (groups.length > 0) {
    topics.set('__consumer_offsets', { partitions: brokerInt('offsets.topic.num.partitions'), replicationFactor: Math.min(brokers, brokerInt('offsets.topic.replication.factor')) });
  }
  return { kafka: true, brokers, nodes, groups, transactionalIds, topics, roles: ['controller', 'not-controller'] };
}
