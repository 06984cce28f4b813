// One-shot watches on the server, by path, as ZooKeeper's WatchManager keeps them. A watcher
// here is a session id: ZooKeeper registers one watcher per connection and path, however many
// Watcher objects the client attached (the client fans the event out to them).
import { addTo, removeFrom } from './multimap.js';

export class WatchManager {
  private readonly watchTable = new Map<string, Set<number>>(); // path → sessions watching it
  private readonly watch2Paths = new Map<number, Set<string>>(); // session → paths it watches

  addWatch(path: string, sessionId: number): void {
    addTo(this.watchTable, path, sessionId);
    addTo(this.watch2Paths, sessionId, path);
  }

  /**
   * Removes every watch on `path` and returns the sessions that held one; `notify` is called for
   * each of them except those in `suppress` (ZooKeeper's triggerWatch with its `supress` set).
   */
  triggerWatch(path: string, notify: (sessionId: number) => void, suppress?: ReadonlySet<number>): ReadonlySet<number> {
    const sessions = this.watchTable.get(path);
    if (sessions === undefined) return new Set<number>();
    this.watchTable.delete(path);
    for (const sessionId of sessions) {
      removeFrom(this.watch2Paths, sessionId, path);
      if (suppress === undefined || !suppress.has(sessionId)) notify(sessionId);
    }
    return sessions;
  }

  /** Forgets every watch of a session (its connection closed, or the session ended). */
  removeWatcher(sessionId: number): void {
    const paths = this.watch2Paths.get(sessionId);
    if (paths === undefined) return;
    this.watch2Paths.delete(sessionId);
    for (const path of paths) removeFrom(this.watchTable, path, sessionId);
  }
}
