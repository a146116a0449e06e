"""emss-parked: list or replay the events the services' handlers parked (redelivery.py).

    emss-parked list   [--service S]
    emss-parked replay [--service S] [--id ID ...]

Talks to the running services over the broker (AMQP_URI, as `make run` and compose set it). A
replay delivers each event once more to its handler (the idempotency claim keeps it from counting
twice); exit status 1 when a service could not be asked or an event failed again.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (nameko's proxies need it before sockets are made)

import argparse  # noqa: E402
import sys  # noqa: E402

from .config import SERVICES, Settings  # noqa: E402


def _parser():
    parser = argparse.ArgumentParser(prog="emss-parked", description="列出或重放事件处理失败后挂起的消息")
    parser.add_argument("command", choices=("list", "replay"))
    parser.add_argument("--service", choices=SERVICES, action="append",
                        help="只处理这个服务（可重复；默认全部）")
    parser.add_argument("--id", dest="ids", metavar="ID", action="append", help="只重放这条消息（可重复；默认全部）")
    parser.add_argument("--timeout", type=float, default=30.0, help="每个服务的 RPC 超时秒数")
    return parser


def _line(item):
    error = (item.get("last_error") or "").splitlines()
    return (f"  {item['id']}  {item.get('event_type')}  subject={item.get('subject')}  "
            f"attempts={item.get('attempts')}  parked_at={item.get('parked_at')}  "
            f"error={error[-1] if error else ''}")


def main(argv=None, config=None, out=None):
    from nameko.standalone.rpc import ClusterRpcProxy
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    config = config or Settings.from_env().nameko_config()
    status = 0
    with ClusterRpcProxy(config, timeout=args.timeout) as cluster:
        for service in args.service or SERVICES:
            try:
                proxy = getattr(cluster, service)
                if args.command == "list":
                    items = proxy.parked_events()
                    print(f"{service}: {len(items)} 条挂起消息", file=out)
                    for item in items:
                        print(_line(item), file=out)
                else:
                    result = proxy.replay_parked(args.ids)
                    print(f"{service}: 已重放 {len(result['replayed'])} 条，仍失败 {len(result['failed'])} 条",
                          file=out)
                    for item_id in result["replayed"]:
                        print(f"  已重放 {item_id}", file=out)
                    for failed in result["failed"]:
                        print(f"  仍失败 {failed['id']}: {failed['error']}", file=out)
                        status = 1
            except Exception as exc:  # noqa: BLE001 - say which service and go on with the others
                print(f"{service}: 无法访问（{type(exc).__name__}: {exc}）", file=sys.stderr)
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
