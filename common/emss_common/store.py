"""One way to get a service's database: MongoDB when MONGO_URI is set, the embedded store otherwise.

Only the part of the pymongo API that both implement is used by the services: insert_one,
find/find_one with plain filters, sort/skip/limit, count_documents, update_one/update_many with
$set/$push/$inc/$addToSet, find_one_and_update, delete_one, create_index (unique).
"""
from dataclasses import dataclass, field

import pymongo

from .embedded import open_embedded

_mongo_clients = {}


@dataclass(frozen=True)
class Index:
    keys: list
    unique: bool = False
    name: str | None = None
    sparse: bool = False
    extra: dict = field(default_factory=dict)


def database_name(service, config):
    return f"emss_{service}{config.get('EMSS_DB_SUFFIX', '')}"


def open_database(service, config):
    """The database a service owns, per its nameko config."""
    name = database_name(service, config)
    uri = config.get("MONGO_URI")
    if uri:
        client = _mongo_clients.get(uri)
        if client is None:
            client = _mongo_clients[uri] = pymongo.MongoClient(uri, tz_aware=True)
        return client[name]
    data_dir = config.get("EMSS_DATA_DIR")
    return open_embedded(name, None if data_dir in (None, "", ":memory:") else data_dir)


def ensure_indexes(db, indexes):
    """Create the indexes declared in code ({collection: [Index, ...]}); safe to repeat."""
    for collection, specs in indexes.items():
        for spec in specs:
            kwargs = dict(spec.extra)
            if spec.unique:
                kwargs["unique"] = True
            if spec.sparse:
                kwargs["sparse"] = True
            if spec.name:
                kwargs["name"] = spec.name
            db[collection].create_index(spec.keys, **kwargs)


def close_database(db):
    journal = getattr(db, "_emss_journal", None)
    if journal:
        journal.close()
