// Recordings kept on the device (IndexedDB) from the moment they stop until the server has
// confirmed them: they survive a network drop, a reload and the tablet sleeping.
// window.WebradioPending.put(record), .remove(id), .list(scope) return promises.
(function () {
  "use strict";
  var NAME = "webradio-envois";
  var STORE = "enregistrements";

  function open() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, {keyPath: "id"});
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Run `work(store)` in one transaction; resolves once it is durable, with the value of the
  // request `work` returned (if any).
  function transaction(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  window.WebradioPending = {
    put: function (record) {
      return transaction("readwrite", function (store) { store.put(record); });
    },
    remove: function (id) {
      return transaction("readwrite", function (store) { store.delete(id); });
    },
    list: function (scope) {
      return transaction("readonly", function (store) { return store.getAll(); })
        .then(function (all) {
          return (all || []).filter(function (r) { return r.scope === scope; })
            .sort(function (a, b) { return a.createdAt - b.createdAt; });
        });
    }
  };
})();
