// Kafka's rack-unaware replica assignment (AdminUtils / AdminZkClient): partition p's first
// replica is broker (p + startIndex) mod n; the others follow at a shift that grows by one every
// n partitions, so replicas spread evenly and preferred leaders rotate across brokers. Kafka
// draws startIndex and the shift at random; so does the caller, from the `admin` stream. New
// partitions of an existing topic start from partition 0's first replica, with no random draw
// (AdminZkClient.createNewPartitionsAssignment).

/** The replicas of partitions `existing.length` … `partitions - 1`, added to a topic. */
export function assignAddedPartitions(existing: readonly (readonly number[])[], partitions: number, brokers: readonly number[]): number[][] {
  const first = existing[0]!;
  const startIndex = Math.max(0, brokers.findIndex((b) => b >= first[0]!));
  return assignReplicas(partitions, first.length, brokers, { startIndex, replicaShift: startIndex }, existing.length);
}

export function assignReplicas(
  partitions: number,
  replicationFactor: number,
  brokers: readonly number[],
  draw: { readonly startIndex: number; readonly replicaShift: number },
  /** The first partition to assign: the existing count when partitions are added (then only the new ones are returned). */
  startPartitionId = 0,
): number[][] {
  const n = brokers.length;
  if (replicationFactor > n) throw new Error(`assignment: replication factor ${replicationFactor} is larger than the ${n} brokers`);
  let shift = draw.replicaShift;
  const out: number[][] = [];
  for (let p = startPartitionId; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift += 1;
    const first = (p + draw.startIndex) % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    out.push(replicas);
  }
  return out;
}
