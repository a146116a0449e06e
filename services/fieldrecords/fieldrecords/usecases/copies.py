"""This service's copies of tasks and sampling tasks (from tasks events), against which every
filing is validated without calling the tasks service."""
from emss_common import replica
from emss_common.errors import NotFound


def keep_task(ctx, event):
    replica.keep(ctx.db, "tasks", event, "task")


def keep_sampling_task(ctx, event):
    replica.keep(ctx.db, "sampling_tasks", event, "sampling_task")


def keep_fact(ctx, collection, fact, at):
    """A task or sampling task from the tasks export (reconciliation); True when it repaired the copy."""
    return replica.upsert_newer(ctx.db[collection], fact, at)


def task_of(ctx, actor, task_id, collection="tasks", what="运维任务"):
    """A task of the actor's own institution; any other is "not found" (its existence is not told)."""
    task = ctx.db[collection].find_one({"id": task_id}, {"_id": 0})
    if task is None or task.get("institution_id") != actor.institution_id:
        raise NotFound(f"{what}不存在或尚未同步", field="task_id" if collection == "tasks" else "sampling_task_id")
    return task


def outlet(ctx, outlet_id):
    return ctx.db["outlets"].find_one({"id": outlet_id}, {"_id": 0})


def devices_at(ctx, outlet_id):
    return {d["id"]: d for d in ctx.db["devices"].find({"outlet_id": outlet_id}, {"_id": 0})}
