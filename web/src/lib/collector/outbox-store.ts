// 待发送上报 the collector's outbox on the phone: reports (with their photo) kept in IndexedDB until the hub has taken
// them, so a report made without signal survives closing the app. Each carries the report id made on the phone, which
// the hub uses to make exactly one case of it however often it is sent (POST /api/cases `reportId`).

export interface OutboxReport {
  /** Made on the phone (a UUID): the idempotency key of POST /api/cases. */
  reportId: string;
  /** The collector who made it: a shared phone sends each user's reports only under their own login. */
  userId: string;
  createdAt: string;
  /** `component:0101`: kind and code, never ambiguous. */
  classCode: string;
  /** The class's name when it was chosen (the list shows it offline). */
  className: string;
  lon: number;
  lat: number;
  /** GPS accuracy in metres; null when the point was picked on the map. */
  accuracyM: number | null;
  description: string;
  /** The photo, as it will be uploaded; null when there is none. */
  photo: Blob | null;
  /** Set once the photo is uploaded, so a resend does not upload it again. */
  mediaId: string | null;
  /** waiting: to be sent; failed: the hub refused it (see `error`) and it waits for the collector. */
  status: 'waiting' | 'failed';
  error: string | null;
  /** Attempts that did not reach the hub (no signal, server error). */
  attempts: number;
}

const DB_NAME = 'cityhub-collector';
const STORE = 'outbox';

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) {
        db.createObjectStore(STORE, { keyPath: 'reportId' }).createIndex('byUser', 'userId');
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
    request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of an older version'));
  }).catch((err: unknown) => {
    opening = null;
    throw err;
  });
  return opening;
}

function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const request = work(tx.objectStore(STORE));
        // Resolved when the transaction commits, not when the request succeeds: a write is durable only then.
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = () => reject(tx.error ?? request.error ?? new Error('IndexedDB transaction failed'));
        tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      }),
  );
}

/** Keeps a report (new or changed). */
export async function saveReport(report: OutboxReport): Promise<void> {
  await run('readwrite', (store) => store.put(report));
}

/** The user's reports, oldest first (the order they are sent in). */
export async function reportsOf(userId: string): Promise<OutboxReport[]> {
  const all = await run('readonly', (store) => store.index('byUser').getAll(userId) as IDBRequest<OutboxReport[]>);
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function deleteReport(reportId: string): Promise<void> {
  await run('readwrite', (store) => store.delete(reportId));
}
