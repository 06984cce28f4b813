// The ledger: what each producing application was told about each message it sent. One row per
// (producer, seq), seqs dense from 1, held in typed arrays grown by doubling, so that 600,000
// messages cost a few tens of bytes each rather than an object each.
//
// A message is `sent` when the application called send(); then the application may be told
// success (`acked`, with the offset, -1 under acks=0) or failure (`failed`), or nothing at all:
// "maybe sent" (a timeout, a crash), which never counts as lost (Jepsen's :info).
//
// A transactional producer's application is told success only when commitTransaction returns
// (KIP-98): its per-record answers say where the record was written (`written`), and the end of
// its transaction acknowledges (committed), fails (aborted) or leaves "maybe sent" (unknown) every
// record of it (`endTransaction`).

export const STATE_NONE = 0; // never sent (a hole, or a record that reached a log without app.send)
export const STATE_SENT = 1; // sent, no answer yet: maybe sent
export const STATE_ACKED = 2; // told success
export const STATE_FAILED = 3; // told failure

export const NO_OFFSET = -2; // no acknowledged offset (ACKED under acks=0 has -1)
const INITIAL_CAPACITY = 64;

/** One producer's rows, indexed by seq. */
export class ProducerLedger {
  capacity = 0;
  /** Highest seq with a row in use. */
  highestSeq = 0;
  partition = new Int32Array(0); // the checker's partition index, -1 unknown
  key = new Int32Array(0); // interned key, -1 for a null key
  state = new Uint8Array(0);
  ackOffset = new Int32Array(0); // NO_OFFSET unless acked
  sendUs = new Float64Array(0);
  ackUs = new Float64Array(0);
  /** The first offset at which a replica was seen holding it below its high watermark, or -1. */
  committedAt = new Int32Array(0);

  constructor(
    readonly name: string,
    readonly index: number,
  ) {}

  /** Makes row `seq` exist (seq ≥ 0). */
  ensure(seq: number): void {
    if (seq > this.highestSeq) this.highestSeq = seq;
    if (seq < this.capacity) return;
    let capacity = Math.max(INITIAL_CAPACITY, this.capacity);
    while (capacity <= seq) capacity *= 2;
    this.partition = grownInt32(this.partition, capacity, -1);
    this.key = grownInt32(this.key, capacity, -1);
    this.ackOffset = grownInt32(this.ackOffset, capacity, NO_OFFSET);
    this.committedAt = grownInt32(this.committedAt, capacity, -1);
    const state = new Uint8Array(capacity);
    state.set(this.state);
    this.state = state;
    const sendUs = new Float64Array(capacity);
    sendUs.set(this.sendUs);
    this.sendUs = sendUs;
    const ackUs = new Float64Array(capacity);
    ackUs.set(this.ackUs);
    this.ackUs = ackUs;
    this.capacity = capacity;
  }

  get bytes(): number {
    return (
      this.partition.byteLength + this.key.byteLength + this.state.byteLength + this.ackOffset.byteLength +
      this.sendUs.byteLength + this.ackUs.byteLength + this.committedAt.byteLength
    );
  }
}

/** Where and when a record's answer said it was written (its partition, if not known yet). */
function noteAnswer(row: ProducerLedger, seq: number, atUs: number, partition: number, offset: number): void {
  if (row.partition[seq] === -1) row.partition[seq] = partition;
  row.ackOffset[seq] = offset;
  row.ackUs[seq] = atUs;
}

function grownInt32(old: Int32Array, capacity: number, fill: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(capacity);
  grown.fill(fill, old.length);
  grown.set(old);
  return grown;
}

export class Ledger {
  readonly producers: ProducerLedger[] = [];
  private readonly byName = new Map<string, ProducerLedger>();
  private readonly keyIndex = new Map<string, number>();
  private readonly keyNames: string[] = [];
  sent = 0;

  producer(name: string): ProducerLedger {
    let ledger = this.byName.get(name);
    if (ledger === undefined) {
      ledger = new ProducerLedger(name, this.producers.length);
      this.producers.push(ledger);
      this.byName.set(name, ledger);
    }
    return ledger;
  }

  send(atUs: number, producer: string, seq: number, key: string | null, partition: number): void {
    if (seq < 0) return;
    const row = this.producer(producer);
    row.ensure(seq);
    if (row.state[seq] !== STATE_NONE) return; // the application sends a seq once
    this.sent += 1;
    row.state[seq] = STATE_SENT;
    row.partition[seq] = partition;
    row.key[seq] = key === null ? -1 : this.intern(key);
    row.sendUs[seq] = atUs;
  }

  /** Told success. Success wins over an earlier failure: the application was told it. */
  ack(atUs: number, producer: string, seq: number, partition: number, offset: number): void {
    if (seq < 0) return;
    const row = this.producer(producer);
    row.ensure(seq);
    if (row.state[seq] === STATE_ACKED) return;
    noteAnswer(row, seq, atUs, partition, offset);
    row.state[seq] = STATE_ACKED;
  }

  /** A transactional record's batch was written at `offset`: not yet success (its transaction decides). */
  written(atUs: number, producer: string, seq: number, partition: number, offset: number): void {
    if (seq < 0) return;
    const row = this.producer(producer);
    row.ensure(seq);
    if (row.state[seq] === STATE_ACKED) return;
    noteAnswer(row, seq, atUs, partition, offset);
  }

  /** The application was told how a transaction of records firstSeq..lastSeq ended (app.txn). */
  endTransaction(atUs: number, producer: string, firstSeq: number, lastSeq: number, outcome: 'committed' | 'aborted' | 'unknown'): void {
    if (outcome === 'unknown' || firstSeq < 0 || lastSeq < firstSeq) return;
    const row = this.producer(producer);
    row.ensure(lastSeq);
    for (let seq = firstSeq; seq <= lastSeq; seq++) {
      const state = row.state[seq]!;
      if (state === STATE_NONE || state === STATE_ACKED) continue; // never sent, or already told
      if (outcome === 'aborted') {
        row.state[seq] = STATE_FAILED;
        continue;
      }
      row.state[seq] = STATE_ACKED;
      row.ackUs[seq] = atUs;
    }
  }

  fail(producer: string, seq: number, partition: number): void {
    if (seq < 0) return;
    const row = this.producer(producer);
    row.ensure(seq);
    if (row.state[seq] === STATE_ACKED) return;
    if (row.partition[seq] === -1) row.partition[seq] = partition;
    row.state[seq] = STATE_FAILED;
  }

  keyName(index: number): string | null {
    return index < 0 ? null : (this.keyNames[index] ?? null);
  }

  count(state: number): number {
    let total = 0;
    for (const row of this.producers) {
      const states = row.state;
      for (let seq = 0; seq <= row.highestSeq; seq++) if (states[seq] === state) total += 1;
    }
    return total;
  }

  get bytes(): number {
    let total = 0;
    for (const row of this.producers) total += row.bytes;
    return total;
  }

  private intern(key: string): number {
    let index = this.keyIndex.get(key);
    if (index === undefined) {
      index = this.keyNames.length;
      this.keyNames.push(key);
      this.keyIndex.set(key, index);
    }
    return index;
  }
}
