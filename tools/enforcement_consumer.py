#!/usr/bin/env python3
"""Reference consumer of EMSS messages for the enforcement agency (执法系统接收 EMSS 消息的参考程序).

Copy this file and replace `handle()` with your own processing. It needs Python 3.8+ and pika
(`pip install pika==1.4.4`); checking messages against the JSON Schema (--schema) also needs
jsonschema (`pip install jsonschema`). The message format is in docs/events/enforcement-v1.md.

What it shows:
  * your own durable queue, bound to EMSS's durable topic exchange (default "emss.enforcement")
    with the routing keys (= message types) you want, e.g. record.voided or record.#;
  * manual acknowledgement, sent only after the message is handled and stored;
  * de-duplication by message id: EMSS re-publishes a message whose confirmation it did not get,
    with the same id. Storing the message and remembering its id are one SQLite transaction, so a
    message is handled once even if the consumer dies between handling and acknowledging;
  * schema_version check: major version 1 is accepted (unknown fields are ignored, as 1.x may add
    fields); anything else is rejected without requeue (to your dead-letter exchange, if any);
  * --schema FILE: each message is checked against the newest schema file you have (e.g.
    docs/events/enforcement-v1.1.schema.json, valid for 1.0 messages too); one that fails is
    rejected without requeue. A message of a later 1.x than the file is accepted unchecked (it may
    carry fields the file does not know yet);
  * reconnection with back-off when the broker goes away;
  * --once: read what is waiting, then exit (tests, cron); exit code 2 if the broker cannot be
    reached at all, 1 for wrong credentials or declarations.

Example:
  python enforcement_consumer.py --url amqp://zhifa:secret@mq.example:5672/emss \\
      --queue zhifa.emss --store zhifa-inbox.sqlite3 --schema enforcement-v1.1.schema.json \\
      record.voided record.confirmation_overdue 'violation.#'

One line is printed per message:
  <received at> NEW|DUPLICATE|REJECTED <type> id=<id> subject=<subject> <summary>
"""
import argparse
import json
import os
import sqlite3
import sys
import time
from datetime import datetime, timezone

import pika
from pika.exceptions import (AMQPConnectionError, ChannelClosedByBroker, ConnectionClosedByBroker,
                             ProbableAccessDeniedError, ProbableAuthenticationError)

SUPPORTED_MAJOR = "1"
FATAL_REPLY_CODES = {403, 404, 406}  # access refused, not found, precondition failed: retrying won't help


class Inbox:
    """The agency's own store of received messages; the primary key on the id is the de-duplication."""

    def __init__(self, path):
        self.db = sqlite3.connect(path)
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS messages ("
                            " id TEXT PRIMARY KEY, type TEXT NOT NULL, subject TEXT, occurred_at TEXT,"
                            " received_at TEXT NOT NULL, body TEXT NOT NULL)")

    def store(self, message_id, message, body):
        """True when the message is new; False when it was received before (nothing changes)."""
        with self.db:  # one transaction: the message and its id together, or neither
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO messages (id, type, subject, occurred_at, received_at, body)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (message_id, message.get("type"), message.get("subject"), message.get("occurred_at"),
                 now(), body))
            return cursor.rowcount == 1

    def count(self):
        return self.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]

    def close(self):
        self.db.close()


def now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def summary(message):
    """A short human-readable line per type (the data fields are in enforcement-v1.md)."""
    data = message.get("data") or {}
    record = (data.get("record") or {}).get("number") or (data.get("record") or {}).get("id")
    enterprise = (data.get("enterprise") or {}).get("name") or (data.get("enterprise") or {}).get("id")
    institution = (data.get("institution") or {}).get("name") or (data.get("institution") or {}).get("id")
    kind = message.get("type")
    if kind == "record.voided":
        return f"作废 record={record} enterprise={enterprise} reason={data.get('reason')}"
    if kind == "record.confirmation_overdue":
        return f"逾期未确认 record={record} enterprise={enterprise} day={data.get('day')}"
    if kind == "violation.suspected":
        return (f"疑似违法 institution={institution} indicator={(data.get('indicator') or {}).get('code')}"
                f" warning={data.get('warning_id')}")
    if kind in ("violation.rectified", "violation.dismissed"):
        return (f"线索{'已整改销号' if kind == 'violation.rectified' else '已排除'} warning={data.get('warning_id')}"
                f" lead={data.get('lead_message_id')} reason={data.get('reason')}")
    if kind == "credit.evaluated":
        return f"信用评价 institution={institution} grade={(data.get('grade') or {}).get('code')}"
    return "(type unknown to this consumer: stored as is)"


class SchemaCheck:
    """The JSON Schema of one 1.x version (its "$id" ends with the version); a message of that or
    an earlier 1.x version is checked against it."""

    def __init__(self, path):
        import jsonschema  # only needed with --schema
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        self.version = version_tuple(schema.get("$id", "").rsplit(":", 1)[-1])
        self.validator = jsonschema.Draft202012Validator(schema)

    def problem(self, message):
        """None when the message is valid (or newer than the file); else where and what is wrong."""
        if version_tuple(message.get("schema_version")) > self.version:
            return None
        error = next(iter(sorted(self.validator.iter_errors(message), key=lambda e: list(e.path))), None)
        if error is None:
            return None
        return f"{'/'.join(str(p) for p in error.absolute_path) or '(message)'}: {error.message}"


def version_tuple(text):
    try:
        return tuple(int(part) for part in str(text).split("."))
    except ValueError:
        return (0,)


def handle(inbox, channel, method, properties, body, out, check=None):
    """Check, store once, print, acknowledge. Replace the print with your own processing, but keep
    the order: the ack goes last."""
    try:
        message = json.loads(body.decode("utf-8"))
        if not isinstance(message, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        channel.basic_reject(method.delivery_tag, requeue=False)
        print(f"{now()} REJECTED ? id={properties.message_id} not JSON ({exc})", file=out, flush=True)
        return
    version = str(message.get("schema_version", ""))
    message_id = properties.message_id or message.get("id")
    if version.split(".")[0] != SUPPORTED_MAJOR or not message_id:
        channel.basic_reject(method.delivery_tag, requeue=False)
        print(f"{now()} REJECTED {message.get('type')} id={message_id} schema_version={version!r} "
              f"not supported", file=out, flush=True)
        return
    problem = check.problem(message) if check is not None else None
    if problem:
        channel.basic_reject(method.delivery_tag, requeue=False)
        print(f"{now()} REJECTED {message.get('type')} id={message_id} not valid against the schema: "
              f"{problem}", file=out, flush=True)
        return
    new = inbox.store(message_id, message, body.decode("utf-8"))
    print(f"{now()} {'NEW' if new else 'DUPLICATE'} {message.get('type')} id={message_id} "
          f"subject={message.get('subject')} {summary(message)}", file=out, flush=True)
    channel.basic_ack(method.delivery_tag)


def consume(args, inbox, out, state, check=None):
    """One connection's life: declare, bind, consume until --once finds the queue idle."""
    connection = pika.BlockingConnection(pika.URLParameters(args.url))
    state["connected"] = state["ever_connected"] = True
    try:
        channel = connection.channel()
        # Same declaration as EMSS's publisher: durable topic exchange.
        channel.exchange_declare(args.exchange, exchange_type="topic", durable=True)
        channel.queue_declare(args.queue, durable=True)
        for key in args.routing_keys:
            channel.queue_bind(args.queue, args.exchange, routing_key=key)
        channel.basic_qos(prefetch_count=args.prefetch)
        print(f"{now()} LISTENING queue={args.queue} exchange={args.exchange} "
              f"keys={','.join(args.routing_keys)}", file=out, flush=True)
        for method, properties, body in channel.consume(args.queue, inactivity_timeout=args.idle_seconds):
            if method is None:  # nothing arrived for idle_seconds
                if args.once:
                    break
                continue
            handle(inbox, channel, method, properties, body, out, check)
        channel.cancel()
    finally:
        if connection.is_open:
            connection.close()


def fatal(exc):
    if isinstance(exc, (ProbableAuthenticationError, ProbableAccessDeniedError)):
        return True
    code = getattr(exc, "reply_code", None)
    return isinstance(exc, (ConnectionClosedByBroker, ChannelClosedByBroker)) and code in FATAL_REPLY_CODES


def main(argv=None, out=sys.stdout):
    parser = argparse.ArgumentParser(description="Receive EMSS messages for the enforcement agency.")
    parser.add_argument("routing_keys", nargs="*", default=["#"],
                        help="message types to receive, e.g. record.voided, record.#  (default: all)")
    parser.add_argument("--url", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F"),
                        help="AMQP URL of the broker (vhost url-encoded: /%%2F is the default vhost)")
    parser.add_argument("--exchange", default="emss.enforcement")
    parser.add_argument("--queue", default="enforcement.emss", help="your durable queue")
    parser.add_argument("--store", default="enforcement-inbox.sqlite3", help="SQLite file of received messages")
    parser.add_argument("--prefetch", type=int, default=20)
    parser.add_argument("--idle-seconds", type=float, default=1.0,
                        help="with --once: exit after the queue stayed empty this long")
    parser.add_argument("--once", action="store_true", help="read what is waiting, then exit")
    parser.add_argument("--max-backoff", type=float, default=60.0, help="longest wait between reconnections")
    parser.add_argument("--schema", help="JSON Schema file to check messages against, e.g. "
                                         "enforcement-v1.1.schema.json (needs jsonschema)")
    args = parser.parse_args(argv)

    try:
        check = SchemaCheck(args.schema) if args.schema else None
    except (ImportError, OSError, ValueError) as exc:
        print(f"{now()} ERROR cannot use --schema {args.schema}: {exc!r}", file=out, flush=True)
        return 1
    inbox = Inbox(args.store)
    delay, state = 1.0, {}
    try:
        while True:
            if state.pop("connected", False):
                delay = 1.0  # the last connection worked: start the back-off afresh
            try:
                consume(args, inbox, out, state, check)
                return 0
            except KeyboardInterrupt:
                return 0
            except (AMQPConnectionError, ChannelClosedByBroker) as exc:
                if fatal(exc):
                    print(f"{now()} ERROR {exc!r}: check the URL, credentials and declarations",
                          file=out, flush=True)
                    return 1
                if args.once and not state.get("ever_connected"):
                    print(f"{now()} ERROR broker not reachable: {exc!r}", file=out, flush=True)
                    return 2  # a cron run tries again next time
                print(f"{now()} DISCONNECTED {exc!r}; reconnecting in {delay:.0f}s", file=out, flush=True)
                time.sleep(delay)
                delay = min(delay * 2, args.max_backoff)
    finally:
        inbox.close()


if __name__ == "__main__":
    sys.exit(main())
