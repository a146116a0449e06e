"""The embedded document store: mongomock's pymongo API made durable with an append-only journal.

mongomock keeps documents in memory. Every write reaches the collection store either through
item assignment/deletion or (updates) by mutating a matched document in place; both paths are
caught here and the after-image of the document is appended to the database's journal and
fsync'ed before the write returns, so an accepted write survives a crash. On open the journal is
replayed and compacted.
"""
import os
import struct
import threading

import bson
from bson.codec_options import CodecOptions
import mongomock
from mongomock import store as mstore
from mongomock.collection import Collection as _MockCollection

_HEADER = struct.Struct("<I")
# mongomock keeps datetimes naive (UTC) inside and adds tzinfo on the way out: replay the same way.
_CODEC = CodecOptions(tz_aware=False)
_journal_lock = threading.RLock()


class Journal:
    def __init__(self, path):
        self.path = path
        self._fh = None

    def replay(self, db_store):
        if not os.path.exists(self.path):
            return
        with open(self.path, "rb") as fh:
            data = fh.read()
        offset = 0
        while offset + _HEADER.size <= len(data):
            (size,) = _HEADER.unpack_from(data, offset)
            end = offset + _HEADER.size + size
            if end > len(data):
                break  # a torn last record was never acknowledged
            rec = bson.decode(data[offset + _HEADER.size:end], codec_options=_CODEC)
            offset = end
            col = db_store[rec["c"]]
            if rec["op"] == "put":
                col._documents[rec["d"]["_id"]] = rec["d"]
            elif rec["op"] == "del":
                col._documents.pop(rec["id"], None)
            elif rec["op"] == "drop":
                col._documents.clear()

    def compact(self, db_store):
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as fh:
            for name, col in db_store._collections.items():
                for doc in col._documents.values():
                    fh.write(_record({"op": "put", "c": name, "d": doc}))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def append(self, rec):
        with _journal_lock:
            if self._fh is None:
                self._fh = open(self.path, "ab")
            self._fh.write(_record(rec))
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self):
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _record(rec):
    payload = bson.encode(rec)
    return _HEADER.pack(len(payload)) + payload


class JournaledCollectionStore(mstore.CollectionStore):
    journal = None  # set by the owning database store

    def __setitem__(self, key, val):
        super().__setitem__(key, val)
        self.journal_put(key)

    def __delitem__(self, key):
        super().__delitem__(key)
        if self.journal:
            self.journal.append({"op": "del", "c": self.name, "id": key})

    def drop(self):
        super().drop()
        if self.journal:
            self.journal.append({"op": "drop", "c": self.name})

    def journal_put(self, key):
        if self.journal and key in self._documents:
            self.journal.append({"op": "put", "c": self.name, "d": self._documents[key]})


class JournaledDatabaseStore(mstore.DatabaseStore):
    def __init__(self, journal=None):
        super().__init__()
        self.journal = journal

    def __getitem__(self, col_name):
        try:
            return self._collections[col_name]
        except KeyError:
            col = self._collections[col_name] = JournaledCollectionStore(col_name)
            col.journal = self.journal
            return col


class _DurableCollection(_MockCollection):
    """Journals documents that an update changed in place."""

    def _apply_update_document(self, existing_document, *args, **kwargs):
        self._touched().append(existing_document)
        return super()._apply_update_document(existing_document, *args, **kwargs)

    def _apply_update_pipeline(self, existing_document, *args, **kwargs):
        self._touched().append(existing_document)
        return super()._apply_update_pipeline(existing_document, *args, **kwargs)

    def _update(self, *args, **kwargs):
        outer = getattr(self, "_touched_docs", None) is not None
        if not outer:
            self._touched_docs = []
        try:
            return super()._update(*args, **kwargs)
        finally:
            if not outer:
                touched, self._touched_docs = self._touched_docs, None
                for doc in touched:
                    if "_id" in doc:
                        self._store.journal_put(doc["_id"])

    def _touched(self):
        if getattr(self, "_touched_docs", None) is None:
            self._touched_docs = []
        return self._touched_docs


# GridFS (photos, signatures, reports) over mongomock collections, journaled like the rest.
from mongomock.gridfs import enable_gridfs_integration  # noqa: E402

enable_gridfs_integration()

# mongomock builds collections through this name; the subclass only adds journaling.
mongomock.database.Collection = _DurableCollection
mongomock.collection.Collection = _DurableCollection


def open_embedded(db_name, data_dir=None):
    """A mongomock database; durable when data_dir is given, memory-only otherwise."""
    client = mongomock.MongoClient(tz_aware=True)
    journal = None
    if data_dir:
        os.makedirs(data_dir, exist_ok=True)
        journal = Journal(os.path.join(data_dir, f"{db_name}.journal"))
    db_store = JournaledDatabaseStore(journal)
    if journal:
        journal.replay(db_store)
        journal.compact(db_store)
    client._store._databases[db_name] = db_store
    db = client[db_name]
    db._emss_journal = journal
    return db
