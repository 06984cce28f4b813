// What Kafka's LogManager leaves on a broker's disk besides the logs, and what loading them
// costs a starting broker: the recovery-point checkpoint (where each log was last flushed),
// the clean-shutdown marker, and the time LogManager.loadLogs takes before KafkaServer.startup
// goes on to register the broker (0.10.2 to 3.9: logs are loaded before the registration).
import type { Disk } from '../../sim/index.js';
import { logFile } from '../kafka/records.js';
import { RECORD_BYTES } from './config.js';
import { recordsToRecover } from './log.js';

/** LogManager.RecoveryPointCheckpointFile. */
const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint';
/** Log.CleanShutdownFile, written once every log is flushed and closed (LogManager.shutdown). */
const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
/** KafkaServer.checkpointBrokerId / checkpointBrokerMetadata, written after the first registration. */
const META_PROPERTIES_FILE = 'meta.properties';

/** The scenario's model of a broker start (`cluster.startup`), not a Kafka config. */
export interface StartupModel {
  /** Charged to every restart before the logs are loaded: JVM start, metrics, log directories. */
  readonly baseUs: number;
  /** Bytes a recovery thread reads, checks and re-indexes per second. */
  readonly recoveryBytesPerSec: number;
}

/**
 * ksim's defaults: a second to start a JVM and a broker's services; 50 MB/s per recovery thread
 * (reading, checking and re-indexing every batch; AutoMQ measured 19 s for an 800 MiB partition
 * with Kafka's recovery, AutoMQ/automq#596).
 */
export const DEFAULT_STARTUP_MODEL: StartupModel = { baseUs: 1_000_000, recoveryBytesPerSec: 50_000_000 };

/** What loading the logs will take, decided from the disk as the process starts. */
export interface LoadPlan {
  /** The partition logs on disk, as `topic-partition`. */
  readonly logs: readonly string[];
  /** The marker was there: every log is loaded as it is, none recovered. */
  readonly cleanShutdown: boolean;
  /** The data directory was used before (meta.properties): a restart, not the first start. */
  readonly restart: boolean;
  readonly recoveryBytes: number;
  readonly durationUs: number;
  /** Each log's checkpointed recovery point. */
  readonly recoveryPoints: ReadonlyMap<string, number>;
}

/**
 * Plans LogManager.loadLogs. Without the marker, each log's segments from the one holding its
 * checkpointed recovery point are recovered (Log.recoverLog), `threads` logs at a time
 * (num.recovery.threads.per.data.dir); the time is the larger of the busiest thread's share and
 * the largest log. The first start of a run (an empty data directory) costs nothing: the run's
 * clock starts with the cluster coming up.
 */
export function planLoad(disk: Disk, model: StartupModel, threads: number, segmentRecordsOf: (topic: string) => number): LoadPlan {
  const logs = disk.fileNames().filter((name) => name.endsWith('/log')).map((name) => name.slice(0, -'/log'.length));
  const cleanShutdown = disk.has(CLEAN_SHUTDOWN_FILE);
  const restart = disk.has(META_PROPERTIES_FILE);
  const recoveryPoints = readRecoveryPoints(disk);
  let recoveryBytes = 0;
  let largest = 0;
  if (!cleanShutdown) {
    for (const key of logs) {
      const { topic, partition } = splitKey(key);
      const bytes = recordsToRecover(logFile(disk, topic, partition), recoveryPoints.get(key) ?? 0, segmentRecordsOf(topic)) * RECORD_BYTES;
      recoveryBytes += bytes;
      largest = Math.max(largest, bytes);
    }
  }
  const busiest = Math.max(largest, Math.ceil(recoveryBytes / threads));
  const recoveryUs = Math.ceil((busiest * 1_000_000) / model.recoveryBytesPerSec);
  return { logs, cleanShutdown, restart, recoveryBytes, durationUs: (restart ? model.baseUs : 0) + recoveryUs, recoveryPoints };
}

/** Loading begins: the marker is deleted first, so a crash while loading is unclean next time (KAFKA-10471, 2.8). */
export function takeCleanShutdownMarker(disk: Disk): void {
  disk.delete(CLEAN_SHUTDOWN_FILE);
}

/** The last step of LogManager.shutdown, once every log is flushed and its recovery point written. */
export function markCleanShutdown(disk: Disk): void {
  const marker = disk.file<true>(CLEAN_SHUTDOWN_FILE);
  marker.overwrite([true]);
  marker.flush();
}

export function writeMetaProperties(disk: Disk, brokerId: number): void {
  const file = disk.file<{ readonly brokerId: number }>(META_PROPERTIES_FILE);
  if (file.length > 0) return;
  file.append({ brokerId });
  file.flush();
}

/** Checkpoint files are written with fsync (OffsetCheckpointFile). */
export function writeRecoveryPoints(disk: Disk, points: readonly [string, number][]): void {
  const file = disk.file<[string, number][]>(RECOVERY_POINT_FILE);
  file.overwrite([[...points]]);
  file.flush();
}

function readRecoveryPoints(disk: Disk): Map<string, number> {
  if (!disk.has(RECOVERY_POINT_FILE)) return new Map();
  const file = disk.file<[string, number][]>(RECOVERY_POINT_FILE);
  return new Map(file.length === 0 ? [] : file.at(file.length - 1));
}

export function splitKey(key: string): { topic: string; partition: number } {
  const dash = key.lastIndexOf('-');
  return { topic: key.slice(0, dash), partition: Number(key.slice(dash + 1)) };
}
