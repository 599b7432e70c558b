// The scanner's memory on this phone (IndexedDB): each session's list for offline decisions,
// the queue of scans admitted offline, and small settings. It survives reloads and restarts.

const NAME = "kakawari-scanner";
const VERSION = 1;
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("lists", { keyPath: "session_id" });
        db.createObjectStore("queue", { keyPath: "nonce" }).createIndex("session_id", "session_id");
        db.createObjectStore("meta");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

// Runs fn(store) in one transaction; resolves with the result of the request fn returns
// once the transaction has committed (so a resolved write is on disk).
async function run(storeName, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const request = fn(tx.objectStore(storeName));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const getList = (sessionId) => run("lists", "readonly", (s) => s.get(sessionId));
export const saveList = (list) => run("lists", "readwrite", (s) => s.put(list));
export const allLists = () => run("lists", "readonly", (s) => s.getAll());
export const deleteList = (sessionId) => run("lists", "readwrite", (s) => s.delete(sessionId));

export const enqueue = (scan) => run("queue", "readwrite", (s) => s.put(scan));
export const queued = () => run("queue", "readonly", (s) => s.getAll());
export const removeQueued = (nonces) =>
  run("queue", "readwrite", (s) => {
    nonces.forEach((nonce) => s.delete(nonce));
    return null;
  });

export const getMeta = (key) => run("meta", "readonly", (s) => s.get(key));
export const setMeta = (key, value) => run("meta", "readwrite", (s) => s.put(value, key));
