// Recordings kept on the device (IndexedDB) from the moment they stop until the server has
// confirmed them: they survive a network drop, a reload and the tablet sleeping.
// window.WebradioPending.put(record), .remove(id), .list(scope) return promises; put resolves
// with false when the device could not keep it (a private window, a full quota): the record is
// then held in this page's memory only (listed and sent again, but lost with the page).
(function () {
  "use strict";
  var NAME = "webradio-envois";
  var STORE = "enregistrements";
  var memory = {};  // id -> record this page could not keep on the device

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
      return transaction("readwrite", function (store) { store.put(record); })
        .then(function () { delete memory[record.id]; return true; },
              function () { memory[record.id] = record; return false; });
    },
    remove: function (id) {
      delete memory[id];
      return transaction("readwrite", function (store) { store.delete(id); })
        .catch(function () {});
    },
    list: function (scope) {
      return transaction("readonly", function (store) { return store.getAll(); })
        .catch(function () { return []; })
        .then(function (all) {
          var held = Object.keys(memory).map(function (id) { return memory[id]; });
          all = (all || []).filter(function (r) { return !memory[r.id]; }).concat(held);
          return all.filter(function (r) { return r.scope === scope; })
            .sort(function (a, b) { return a.createdAt - b.createdAt; });
        });
    }
  };
})();
