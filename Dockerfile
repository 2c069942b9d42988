# papibot in a container: non-root, code read-only, everything written at run time under /data.
# Build: docker build -t papibot .   Run: see compose.yaml and docs/deploy.md.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY bot ./bot
COPY handlers ./handlers
COPY channels ./channels
COPY knowledge ./knowledge
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --quiet . \
    && /opt/venv/bin/papibot kb check --dates-warn

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PAPIBOT_DATA_DIR=/data \
    PAPIBOT_HTTP_LISTEN=0.0.0.0 \
    PAPIBOT_HTTP_PORT=8080 \
    PAPIBOT_WEB_LISTEN=0.0.0.0 \
    PAPIBOT_WEB_PORT=8081
# pg_dump/pg_restore for `papibot db backup|restore` and the pre-migration dump on PostgreSQL (Debian 12's
# client is version 15, as compose.yaml's server: a client older than the server cannot dump it).
RUN apt-get update && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 papibot \
    && useradd --system --uid 10001 --gid papibot --home-dir /data --shell /usr/sbin/nologin papibot \
    && mkdir /data && chown papibot:papibot /data && chmod 0700 /data
COPY --from=build /opt/venv /opt/venv
USER papibot
WORKDIR /data
VOLUME /data
EXPOSE 8080 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; port = os.environ.get('PAPIBOT_HTTP_PORT', '8080'); sys.exit(u.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status != 200)"]
CMD ["papibot", "run"]
