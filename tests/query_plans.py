"""Reading query plans in tests: which stages a cursor's `explain()` shows, on MongoDB or SecantusDB.

Both answer `queryPlanner.winningPlan` as a tree of {stage, inputStage | inputStages}; MongoDB 5+
with the slot-based engine nests it one deeper (winningPlan.queryPlan). SecantusDB reports a
blocking SORT above any IXSCAN whose walk is not the sort (its planner serves a sort from an index
only without a filter), where MongoDB walks the compound index in order: only there is that
SORT accepted.
"""


def winning_plan(explained):
    plan = (explained.get("queryPlanner") or {}).get("winningPlan") or {}
    return plan.get("queryPlan", plan)


def stages(plan):
    """Every stage of a plan tree, outermost first."""
    out, todo = [], [plan]
    while todo:
        node = todo.pop(0)
        if not isinstance(node, dict):
            continue
        if "stage" in node:
            out.append(node)
        todo.extend(node.get(k) for k in ("inputStage", "outerStage", "innerStage") if node.get(k))
        todo.extend(node.get("inputStages") or [])
    return out


def index_names(plan):
    return [s.get("indexName") for s in stages(plan) if s["stage"] == "IXSCAN"]


def sorts_in_memory_allowed(explained):
    """SecantusDB cannot walk an index as the sort after an equality prefix; MongoDB can, and must."""
    return (explained.get("serverInfo") or {}).get("host") == "secantus"


def assert_uses_index(cursor, index, why=""):
    """The cursor's winning plan scans `index` (IXSCAN; or one of a tuple of names), never the
    collection, and sorts in memory only where the engine cannot do otherwise. Returns the plan."""
    explained = cursor.explain()
    plan = winning_plan(explained)
    names = [s["stage"] for s in stages(plan)]
    where = f"{why}: " if why else ""
    assert "COLLSCAN" not in names, f"{where}collection scan: {plan}"
    allowed = index if isinstance(index, tuple) else (index,)
    assert set(allowed) & set(index_names(plan)), f"{where}expected IXSCAN on {index}, got {index_names(plan)}: {plan}"
    if not sorts_in_memory_allowed(explained):
        assert "SORT" not in names, f"{where}blocking in-memory sort: {plan}"
    return plan


class Recording:
    """A database whose collections keep every cursor their find() hands out, so a test explains
    exactly the queries a use case ran (and cannot drift from them)."""

    def __init__(self, db):
        self._db, self.cursors = db, []

    def __getitem__(self, name):
        return _RecordingCollection(self._db[name], name, self.cursors)

    def __getattr__(self, name):
        return getattr(self._db, name)

    def finds(self, collection):
        return [c for name, c in self.cursors if name == collection]


class _RecordingCollection:
    def __init__(self, col, name, log):
        self._col, self._name, self._log = col, name, log

    def find(self, *args, **kwargs):
        cursor = self._col.find(*args, **kwargs)
        self._log.append((self._name, cursor))  # sort() and limit() change this same cursor
        return cursor

    def __getattr__(self, name):
        return getattr(self._col, name)
