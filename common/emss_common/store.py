"""One way to get a service's database: pymongo over the wire, everywhere. MONGO_URI names the
server: a real MongoDB in production, or the embedded store server (storeserver.py) that `make run`
and `make test` start and name there themselves.

Services keep to what both MongoDB and SecantusDB implement: CRUD with query operators, sort and
limit on indexed keys, count_documents (with a limit where a total could be large),
find_one_and_update, unique / sparse / partial indexes, GridFS.
"""
from dataclasses import dataclass, field

import pymongo
from pymongo.uri_parser import parse_uri

_clients = {}

# Client options unless the URI says otherwise: a request fails within seconds while the store is
# away (pymongo reconnects by itself when it is back) instead of holding the caller for 30 s.
CLIENT_DEFAULTS = {"serverSelectionTimeoutMS": 5000, "connectTimeoutMS": 5000}


@dataclass(frozen=True)
class Index:
    keys: list
    unique: bool = False
    name: str | None = None
    sparse: bool = False
    extra: dict = field(default_factory=dict)


def database_name(service, config):
    return f"emss_{service}{config.get('EMSS_DB_SUFFIX', '')}"


def client_for(uri):
    """One client (and so one connection pool) per URI and process."""
    client = _clients.get(uri)
    if client is None:
        given = {k.lower() for k in parse_uri(uri)["options"]}
        options = {k: v for k, v in CLIENT_DEFAULTS.items() if k.lower() not in given}
        client = _clients[uri] = pymongo.MongoClient(uri, tz_aware=True, **options)
    return client


def open_database(service, config):
    """The database a service owns, per its nameko config."""
    uri = config.get("MONGO_URI")
    if not uri:
        raise RuntimeError("MONGO_URI is not set: the services need a MongoDB-wire server "
                           "(`make run` starts the embedded one)")
    return client_for(uri)[database_name(service, config)]


def merge_indexes(*declared):
    """{collection: [Index]} declarations put together (the lists of one collection joined)."""
    out = {}
    for indexes in declared:
        for collection, specs in indexes.items():
            out.setdefault(collection, []).extend(specs)
    return out


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
