"""The credit service. It owns its database and answers health; its capability arrives with its issue."""
from emss_common.nameko_deps import ServiceBase, Store


class CreditService(ServiceBase):
    name = "credit"
    db = Store("credit")
