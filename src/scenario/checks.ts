// Checks that span fields, which a per-field schema cannot make: exactly one of cluster and
// example, one action per fault, topics that exist, a replication factor the cluster can hold,
// no duplicating or reordering network under Kafka (whose traffic is all TCP).
// They read the raw YAML data defensively and run even when the schema found other errors, so
// a file's problems are all reported at once; a field of the wrong type is the schema's to
// report, and is skipped here.
import { describeValue, inputError, type PathSegment } from './format.js';
import { BROKER_CONFIG, DEFAULT_KAFKA_PROFILE, KAFKA_PROFILES, type KafkaProfile } from './kafka-config.js';
import { CONFIG_TABLE_OF, supportOf, type ConfigLabel } from './config-support.js';
import { didYouMean } from './nearest.js';
import { FAULT_ACTIONS, HEALABLE_ACTIONS, MAX_BROKERS } from './schema.js';
import type { InputError } from './types.js';
import { formatDuration, parseDuration, parseRatio, type Parsed } from './units.js';
import { locate, type Source } from './yaml-source.js';
import { intAt, isMap, listAt, stringAt, type Raw } from './raw.js';
import { checkTargets } from './targets.js';


class Findings {
  readonly errors: InputError[] = [];
  constructor(private readonly source: Source) {}

  /** An error at the value of `path` (or, with `key`, at its key). */
  add(path: readonly PathSegment[], expected: string, found: string | null, hint: string | null = null, key = false): void {
    this.errors.push(inputError(this.source.file, locate(this.source, path, key), path, expected, found, hint));
  }
}

export function crossChecks(source: Source, data: unknown): InputError[] {
  if (!isMap(data)) return [];
  const findings = new Findings(source);
  checkSystem(findings, data);
  checkNetwork(findings, data);
  const topics = checkTopics(findings, data);
  checkClients(findings, data, topics);
  checkFaults(findings, data);
  checkTargets((path, expected, found, hint) => findings.add(path, expected, found, hint), data);
  checkAddedPartitions(findings, data);
  checkConfigKeys(findings, data);
  checkOffsetsTopic(findings, data);
  checkTransactionTopic(findings, data);
  return findings.errors;
}

/**
 * Consumer groups need __consumer_offsets, which ksim's admin creates with the topics while every
 * broker is up. Since 0.11 (KIP-115, KAFKA-3959) Kafka does not create it with fewer live brokers
 * than offsets.topic.replication.factor: no group could ever find its coordinator. (0.10 created
 * it with as many replicas as there were live brokers.)
 */
function checkOffsetsTopic(findings: Findings, data: Raw): void {
  const cluster = isMap(data['cluster']) ? data['cluster'] : null;
  if (cluster === null || listAt(data['consumers']).length === 0) return;
  const profile = cluster['kafka'] === undefined ? DEFAULT_KAFKA_PROFILE : stringAt(cluster['kafka']);
  if (!KAFKA_PROFILES.includes(profile as KafkaProfile) || profile === '0.10') return;
  const count = intAt(cluster['brokers']);
  if (count === null || count < 1 || count > MAX_BROKERS) return;
  const config = isMap(cluster['config']) ? cluster['config'] : {};
  const explicit = config['offsets.topic.replication.factor'] !== undefined;
  const factor = explicit ? intAt(config['offsets.topic.replication.factor']) : intAt(BROKER_CONFIG['offsets.topic.replication.factor'].default);
  if (factor === null || factor <= count) return;
  findings.add(
    ['cluster', 'config', 'offsets.topic.replication.factor'],
    `an offsets.topic.replication.factor of at most ${count} (cluster.brokers) for the consumer groups' __consumer_offsets`,
    explicit ? String(factor) : `${factor} (its default)`,
    `Kafka ${profile} does not create it with fewer live brokers (KIP-115), so no group would find its coordinator; set it to at most ${count}`,
  );
}

/**
 * A transactional producer needs __transaction_state, which Kafka (0.11+) does not create with
 * fewer live brokers than transaction.state.log.replication.factor (KafkaApis.createInternalTopic,
 * 0.11.0.3: FindCoordinator answers COORDINATOR_NOT_AVAILABLE until enough brokers are alive), so
 * no producer would ever find its transaction coordinator.
 */
function checkTransactionTopic(findings: Findings, data: Raw): void {
  const cluster = isMap(data['cluster']) ? data['cluster'] : null;
  if (cluster === null) return;
  const transactional = listAt(data['producers']).some((p) => isMap(p) && isMap(p['config']) && typeof p['config']['transactional.id'] === 'string');
  if (!transactional) return;
  const profile = cluster['kafka'] === undefined ? DEFAULT_KAFKA_PROFILE : stringAt(cluster['kafka']);
  if (!KAFKA_PROFILES.includes(profile as KafkaProfile) || profile === '0.10') return;
  const count = intAt(cluster['brokers']);
  if (count === null || count < 1 || count > MAX_BROKERS) return;
  const config = isMap(cluster['config']) ? cluster['config'] : {};
  const explicit = config['transaction.state.log.replication.factor'] !== undefined;
  const factor = explicit ? intAt(config['transaction.state.log.replication.factor']) : intAt(BROKER_CONFIG['transaction.state.log.replication.factor'].default);
  if (factor === null || factor <= count) return;
  findings.add(
    ['cluster', 'config', 'transaction.state.log.replication.factor'],
    `a transaction.state.log.replication.factor of at most ${count} (cluster.brokers) for the transactional producers' __transaction_state`,
    explicit ? String(factor) : `${factor} (its default)`,
    `Kafka ${profile} does not create it with fewer live brokers, so no transactional producer would find its coordinator; set it to at most ${count}`,
  );
}

/**
 * A config key the scenario's release line does not have yet (group.initial.rebalance.delay.ms
 * on "0.10") is refused at the key: that Kafka would not know it, and ksim would not model it.
 * A key Kafka has and ksim does not model would be accepted and ignored: it is refused too.
 */
function checkConfigKeys(findings: Findings, data: Raw): void {
  const cluster = isMap(data['cluster']) ? data['cluster'] : {};
  const profile = cluster['kafka'] === undefined ? DEFAULT_KAFKA_PROFILE : stringAt(cluster['kafka']);
  const rank = KAFKA_PROFILES.indexOf(profile as KafkaProfile); // an unknown profile is the schema's to report
  eachConfig(data, (config, path, label) => {
    const table = CONFIG_TABLE_OF[label];
    for (const key of Object.keys(config)) {
      if (!Object.hasOwn(table, key)) continue; // an unknown key is the schema's to report
      if (label === 'consumer' && key === 'group.id') continue; // checkClients says where it goes
      const since = table[key]!.since;
      if (since !== undefined && rank >= 0 && KAFKA_PROFILES.indexOf(since.line as KafkaProfile) > rank) {
        findings.add([...path, key], `a ${label} config key that Kafka ${profile} has`, JSON.stringify(key), `it came in Kafka ${since.line} (${since.source}); remove it or use a newer cluster.kafka`, true);
        continue;
      }
      const support = supportOf(label, key);
      if (support.kind === 'not-modelled') findings.add([...path, key], `a ${label} config key that ksim models`, JSON.stringify(key), `not modelled by ksim: ${support.why}; remove it`, true);
    }
  });
}

/** Every config map of the file, with its path and kind. */
function eachConfig(data: Raw, visit: (config: Raw, path: readonly PathSegment[], label: ConfigLabel) => void): void {
  const at = (config: unknown, path: readonly PathSegment[], label: ConfigLabel): void => {
    if (isMap(config)) visit(config, path, label);
  };
  const cluster = isMap(data['cluster']) ? data['cluster'] : {};
  at(cluster['config'], ['cluster', 'config'], 'broker');
  at(cluster['zookeeper'], ['cluster', 'zookeeper'], 'ZooKeeper');
  for (const [index, topic] of listAt(data['topics']).entries()) if (isMap(topic)) at(topic['config'], ['topics', index, 'config'], 'topic');
  for (const [index, producer] of listAt(data['producers']).entries()) if (isMap(producer)) at(producer['config'], ['producers', index, 'config'], 'producer');
  for (const [index, consumer] of listAt(data['consumers']).entries()) if (isMap(consumer)) at(consumer['config'], ['consumers', index, 'config'], 'consumer');
}

function checkSystem(findings: Findings, data: Raw): void {
  const hasCluster = data['cluster'] !== undefined;
  const hasExample = data['example'] !== undefined;
  if (hasCluster && hasExample) findings.add(['example'], 'either a cluster or an example section', 'both', 'remove one of them', true);
  if (!hasCluster && !hasExample) findings.add([], 'a cluster section (Kafka) or an example section', 'neither');
  if (!hasExample || hasCluster) return;
  for (const key of ['topics', 'producers', 'consumers']) {
    if (listAt(data[key]).length === 0) continue;
    findings.add([key], `no ${key} with the example system (it is not Kafka)`, describeValue(data[key]), null, true);
  }
}

/**
 * Every message of a Kafka cluster travels on a TCP connection (clients, brokers, ZooKeeper),
 * which never duplicates or reorders: a scenario asking for either under Kafka could not get it.
 * (`drop` is a segment loss there, which TCP retransmits; the example system's datagrams take all three.)
 */
function checkNetwork(findings: Findings, data: Raw): void {
  if (data['cluster'] === undefined || !isMap(data['network'])) return;
  for (const key of ['duplicate', 'reorder'] as const) {
    const value = data['network'][key];
    if (typeof value !== 'number' && typeof value !== 'string') continue;
    const parsed = parseRatio(value);
    if (!parsed.ok || parsed.value === 0) continue; // a malformed ratio is the schema's to report
    findings.add(
      ['network', key],
      `no network ${key} in a Kafka scenario`,
      describeValue(value),
      `Kafka's traffic all runs on TCP connections, which never ${key === 'duplicate' ? 'deliver a message twice' : 'reorder messages'}; for late or lost packets use drop: (a segment loss TCP retransmits) or a hold or partition fault`,
    );
  }
}

/** Checks topics and returns their declared names. */
function checkTopics(findings: Findings, data: Raw): string[] {
  const cluster = isMap(data['cluster']) ? data['cluster'] : {};
  // A broker count the schema rejects is reported there, not compared with here.
  const count = intAt(cluster['brokers']);
  const brokers = count !== null && count >= 1 && count <= MAX_BROKERS ? count : null;
  const config = isMap(cluster['config']) ? cluster['config'] : {};
  const defaultFactor = intAt(config['default.replication.factor']) ?? intAt(BROKER_CONFIG['default.replication.factor'].default);
  const names: string[] = [];
  for (const [index, topic] of listAt(data['topics']).entries()) {
    if (!isMap(topic)) continue;
    const name = stringAt(topic['name']);
    if (name !== null) unique(findings, names, name, ['topics', index, 'name'], 'topic');
    const factor = topic['replication.factor'] === undefined ? defaultFactor : intAt(topic['replication.factor']);
    // A factor outside 1..MAX_BROKERS is the schema's to report.
    if (brokers === null || factor === null || factor <= brokers || factor > MAX_BROKERS) continue;
    const explicit = topic['replication.factor'] !== undefined;
    const path = ['topics', index, 'replication.factor'];
    const found = explicit ? String(factor) : `${factor} (from default.replication.factor)`;
    findings.add(path, `a replication.factor of at most ${brokers} (cluster.brokers)`, found);
  }
  return names;
}

/** Records a name, or reports it when an earlier entry has it already. */
function unique(findings: Findings, seen: string[], name: string, path: readonly PathSegment[], what: string): void {
  if (!seen.includes(name)) {
    seen.push(name);
    return;
  }
  findings.add(path, `a ${what} name not used above`, JSON.stringify(name), `there is already a ${what} "${name}"`);
}

function checkClients(findings: Findings, data: Raw, topics: readonly string[]): void {
  const producers: string[] = [];
  for (const [index, producer] of listAt(data['producers']).entries()) {
    if (!isMap(producer)) continue;
    const name = stringAt(producer['name']);
    if (name !== null) unique(findings, producers, name, ['producers', index, 'name'], 'producer');
    checkTopicRef(findings, producer['topic'], ['producers', index, 'topic'], topics);
  }
  const groups: string[] = [];
  for (const [index, consumer] of listAt(data['consumers']).entries()) {
    if (!isMap(consumer)) continue;
    const group = stringAt(consumer['group']);
    if (group !== null) unique(findings, groups, group, ['consumers', index, 'group'], 'group');
    // Members run as processes <group>-1 … <group>-N: they must not take a producer's name.
    const members = typeof consumer['members'] === 'number' ? consumer['members'] : 1;
    const clash = group === null ? undefined : producers.find((p) => p.startsWith(`${group}-`) && /^\d+$/.test(p.slice(group.length + 1)) && Number(p.slice(group.length + 1)) <= members);
    if (clash !== undefined) {
      findings.add(['consumers', index, 'group'], `a group whose members (${group}-1 … ${group}-${members}) do not share a producer's name`, JSON.stringify(group), `producer "${clash}" has a member's name`);
    }
    checkTopicRef(findings, consumer['topic'], ['consumers', index, 'topic'], topics);
    const config = consumer['config'];
    if (isMap(config) && config['group.id'] !== undefined) {
      const path = ['consumers', index, 'config', 'group.id'];
      findings.add(path, 'no group.id here: the entry\'s "group" sets it', describeValue(config['group.id']), null, true);
    }
  }
}

function checkTopicRef(findings: Findings, value: unknown, path: readonly PathSegment[], topics: readonly string[]): void {
  const name = stringAt(value);
  if (name === null || topics.includes(name)) return;
  const expected = topics.length === 0 ? 'a topic declared under topics (none is)' : `a topic declared under topics (${topics.join(', ')})`;
  findings.add(path, expected, JSON.stringify(name), didYouMean(name, topics));
}

/** add-partitions names a declared topic and raises its partition count (Kafka cannot lower it). */
function checkAddedPartitions(findings: Findings, data: Raw): void {
  const counts = new Map<string, number>();
  for (const topic of listAt(data['topics'])) {
    if (isMap(topic) && typeof topic['name'] === 'string') counts.set(topic['name'], typeof topic['partitions'] === 'number' ? topic['partitions'] : 1);
  }
  for (const [index, fault] of listAt(data['faults']).entries()) {
    const add = isMap(fault) ? fault['add-partitions'] : undefined;
    if (!isMap(add)) continue;
    const path: PathSegment[] = ['faults', index, 'add-partitions'];
    const name = stringAt(add['topic']);
    if (name === null) continue;
    const known = [...counts.keys()];
    const current = counts.get(name);
    if (current === undefined) {
      findings.add([...path, 'topic'], known.length === 0 ? 'a topic declared under topics (none is)' : `a topic declared under topics (${known.join(', ')})`, JSON.stringify(name), didYouMean(name, known));
      continue;
    }
    const wanted = add['partitions'];
    if (typeof wanted === 'number' && wanted <= current) {
      findings.add([...path, 'partitions'], `more than the ${current} partitions ${name} has by then (Kafka can only add partitions)`, String(wanted));
    } else if (typeof wanted === 'number') {
      counts.set(name, wanted);
    }
  }
}

function checkFaults(findings: Findings, data: Raw): void {
  const runUs = runDuration(data['duration']);
  for (const [index, fault] of listAt(data['faults']).entries()) {
    if (!isMap(fault)) continue;
    const path: PathSegment[] = ['faults', index];
    const actions = FAULT_ACTIONS.filter((action) => fault[action] !== undefined);
    checkActionCount(findings, path, actions);
    const action = actions[0];
    if (action !== undefined) checkActionExtras(findings, path, fault, action);
    const at = typeof fault['at'] === 'string' ? parseDuration(fault['at']) : null;
    if (at?.ok === true && runUs.ok && at.value >= runUs.value) {
      findings.add([...path, 'at'], `a time before the end of duration (${formatDuration(runUs.value)})`, describeValue(fault['at']));
    }
  }
}

/** The run's duration when it is readable (60s when omitted), for "fault after the end" checks. */
function runDuration(value: unknown): Parsed<number> {
  if (value === undefined) return { ok: true, value: 60_000_000 };
  return typeof value === 'string' ? parseDuration(value, 1) : { ok: false, expected: '', hint: null };
}

function checkActionCount(findings: Findings, path: readonly PathSegment[], actions: readonly string[]): void {
  const [first, second] = actions;
  if (first === undefined) {
    findings.add(path, `one action: ${FAULT_ACTIONS.join(', ')}`, 'none');
  } else if (second !== undefined) {
    findings.add([...path, second], 'one action per fault', `"${second}" besides "${first}"`, 'write each action as its own fault', true);
  }
}

function checkActionExtras(findings: Findings, path: readonly PathSegment[], fault: Raw, action: (typeof FAULT_ACTIONS)[number]): void {
  if (fault['heal'] !== undefined && !HEALABLE_ACTIONS.includes(action)) {
    const hint = action === 'restart' ? 'a restart is itself the heal of a kill' : 'a resume is itself the heal of a pause';
    findings.add([...path, 'heal'], `no heal on a ${action}`, describeValue(fault['heal']), hint, true);
  }
  if (action === 'slow-disk' && fault['latency'] === undefined) {
    findings.add([...path, 'latency'], 'a latency for the slow disk, such as "50ms"', 'nothing');
  }
  if (action !== 'slow-disk' && fault['latency'] !== undefined) {
    findings.add([...path, 'latency'], 'latency only on a slow-disk fault', describeValue(fault['latency']), null, true);
  }
  if (action === 'partition') checkPartitionGroups(findings, [...path, 'partition'], fault['partition']);
  if ((action === 'elect-preferred' || action === 'add-partitions') && fault['may-miss'] !== undefined) {
    findings.add([...path, 'may-miss'], 'may-miss only on a fault with a target', describeValue(fault['may-miss']), `${action} is an admin request: it names no node`, true);
  }
}

function checkPartitionGroups(findings: Findings, path: readonly PathSegment[], groups: unknown): void {
  const groupOf = new Map<string, number>();
  for (const [g, group] of listAt(groups).entries()) {
    for (const [n, node] of listAt(group).entries()) {
      if (typeof node !== 'string') continue;
      const earlier = groupOf.get(node);
      if (earlier === undefined) groupOf.set(node, g);
      else findings.add([...path, g, n], 'each node in one group only', JSON.stringify(node), `"${node}" is also in group ${earlier + 1}`);
    }
  }
}
