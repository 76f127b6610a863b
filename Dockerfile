# The Atelier runtime (MiniStack + the compute agent + the RDS engine) in a container, for
# machines with Docker: `docker compose up` (see docker-compose.yml). Build context: the repo.
# Pipelines and lambdas run inside this container as processes of its interpreter, as they do
# on a laptop, so the image carries their dependencies (the `app` extra, CPU-only torch).
FROM python:3.11-slim

ARG ATELIER_EXTRAS=app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ATELIER_HOST=0.0.0.0 \
    ATELIER_PORT=4566 \
    ATELIER_HOME=/var/lib/atelier \
    ATELIER_REPO_ROOT=/opt/atelier

WORKDIR /opt/atelier

# PostgreSQL (the RDS engine) refuses to run as root: the runtime runs as `atelier`.
RUN useradd --create-home --uid 10001 atelier \
    && mkdir -p /var/lib/atelier \
    && chown atelier:atelier /var/lib/atelier

COPY pyproject.toml README.md topology.yaml ./
COPY platform ./platform
COPY pipelines ./pipelines
COPY lambdas ./lambdas
# DL3013: the versions are pinned in pyproject.toml (ministack, boto3, torch, ...)
# hadolint ignore=DL3013
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu ".[${ATELIER_EXTRAS}]"

USER 10001
VOLUME ["/var/lib/atelier"]
EXPOSE 4566

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4566/_localstack/health', timeout=2)"]

ENTRYPOINT ["atelier", "emulator", "start", "--foreground"]
