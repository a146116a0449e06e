#!/usr/bin/env bash
# Installs and starts what the tests need beyond Python packages; harmless when already there.
# RabbitMQ with its management plugin (nameko's test fixtures make a vhost per test through it),
# Debian's chromium and a CJK font (page tests), docker-compose (validates the compose file),
# promtool (checks Prometheus config and alert rules).
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need=()
command -v rabbitmq-server >/dev/null 2>&1 || need+=(rabbitmq-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

amqp_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if ! amqp_up; then
  echo "starting RabbitMQ"
  $SUDO rabbitmq-server -detached || true
  for _ in $(seq 1 60); do amqp_up && break; sleep 1; done
fi
amqp_up || { echo "RabbitMQ did not start on 127.0.0.1:5672" >&2; exit 1; }

if ! curl -fs -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1; then
  echo "enabling the RabbitMQ management plugin"
  $SUDO rabbitmq-plugins enable rabbitmq_management >/dev/null
  for _ in $(seq 1 60); do
    curl -fs -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 && break
    sleep 1
  done
fi
curl -fs -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null || {
  echo "RabbitMQ management API is not answering on :15672" >&2; exit 1; }
