// Kafka's rack-unaware replica assignment (AdminUtils / AdminZkClient): partition p's first
// replica is broker (p + startIndex) mod n; the others follow at a shift that grows by one every
// n partitions, so replicas spread evenly and preferred leaders rotate across brokers. Kafka
// draws startIndex and the shift at random; so does the caller, from the `admin` stream.

export function assignReplicas(
  partitions: number,
  replicationFactor: number,
  brokers: readonly number[],
  draw: { readonly startIndex: number; readonly replicaShift: number },
): number[][] {
  const n = brokers.length;
  if (replicationFactor > n) throw new Error(`assignment: replication factor ${replicationFactor} is larger than the ${n} brokers`);
  let shift = draw.replicaShift;
  const out: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift += 1;
    const first = (p + draw.startIndex) % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    out.push(replicas);
  }
  return out;
}
