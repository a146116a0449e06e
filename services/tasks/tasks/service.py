"""The tasks service. It owns its database and answers health; its capability arrives with its issue."""
from emss_common.nameko_deps import ServiceBase, Store


class TasksService(ServiceBase):
    name = "tasks"
    db = Store("tasks")
