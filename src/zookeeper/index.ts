// ksim's simulated ZooKeeper: a standalone server process and the client brokers hold.
//
//   world.spawn('zk', zookeeperServer({ tickTimeMs: 3000 }));
//   world.spawn('b1', (env) => {
//     const zk = createZkClient(env, { server: 'zk', sessionTimeoutMs: 18_000, listener: { onConnected: ... } });
//     return { onMessage: (from, m) => { if (!zk.handle(from, m)) { /* a Kafka message */ } } };
//   });
export type * from './api.js';
export { createZkClient, type ZkClientOptions } from './client.js';
export { zookeeperServer, negotiateTimeout, type ZooKeeperServerConfig } from './server.js';
export { isZkMessage, type ZkMessage, type ZkClientMessage, type ZkServerMessage } from './protocol.js';
export { TXN_LOG_FILE } from './txn.js';
