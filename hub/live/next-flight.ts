// 快照合并 one database load for many subscribers: when a whole control room (or every browser after a hub restart)
// subscribes at once, each would run the same snapshot queries and together exhaust the connection pool. A caller
// gets the result of a load that STARTED AFTER it asked — so nothing that changed before its subscription can be
// missing from what it gets — while at most one load runs and one more is queued: callers arriving during a load share
// the next one.

export function nextFlight<T>(load: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  let queued: Promise<T> | null = null;

  const start = (): Promise<T> => {
    const p = Promise.resolve().then(load);
    running = p;
    const done = () => {
      if (running === p) running = null;
    };
    p.then(done, done);
    return p;
  };

  return () => {
    if (!running) return start();
    if (!queued) {
      const after = running.then(
        () => undefined,
        () => undefined,
      );
      queued = after.then(() => {
        queued = null;
        return start();
      });
    }
    return queued;
  };
}
