# One image for every EMSS component; the command picks which one runs:
#   python -m emss_common.launch <registry|tasks|fieldrecords|confirmation|credit>
#   python -m gateway
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Third-party dependencies first, so code changes do not invalidate this layer.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY common/ common/
COPY services/ services/
RUN pip install \
        -e common \
        -e services/registry \
        -e services/tasks \
        -e services/fieldrecords \
        -e services/confirmation \
        -e services/credit \
        -e services/gateway

# Unprivileged runtime user; only the data directory is writable by it.
RUN groupadd --system --gid 10001 emss \
    && useradd --system --uid 10001 --gid emss --home-dir /app --shell /usr/sbin/nologin emss \
    && mkdir -p /app/var/data \
    && chown -R emss:emss /app/var

ENV EMSS_DATA_DIR=/app/var/data \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000 \
    METRICS_PORT=9100

USER 10001:10001

EXPOSE 8000 9100

CMD ["python", "-m", "gateway"]
