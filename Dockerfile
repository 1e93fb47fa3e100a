# syntax=docker/dockerfile:1
#
# One image for every process of dangvien. The service is the argument:
#
#   docker build -t dangvien:dev .
#   docker run --rm --env-file .env dangvien:dev members      # -> dangvien serve members
#
# Python is pinned to 3.11 on purpose: nameko 2.14.1 + eventlet do not run on 3.12
# (see docs: DESIGN.md section 4). The base tag is exact (patch + Debian release) so a
# rebuild does not silently move; bump it deliberately.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- builder: resolve and install everything into a self-contained venv --------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first so that a code change does not reinstall them. `requirements.lock*`
# is a glob: the lock file is used when the repository has one, and the COPY still works
# without it (pyproject.toml always matches).
COPY pyproject.toml requirements.lock* ./
RUN if [ -f requirements.lock ]; then pip install -r requirements.lock; fi

COPY shared/ shared/
COPY services/ services/
COPY dangvien/ dangvien/
COPY documents/ documents/
COPY scripts/web_assets.py scripts/web_assets.py
# the dashboard's charting library from the npm registry, checked by sha256, served by the gateway
RUN python scripts/web_assets.py

# With a lock file every dependency is already pinned and installed: install only the
# project. Without one, let pip resolve from pyproject.toml.
# The gateway's dashboard files are package data: fail the build if the wheel lost them
# (pyproject.toml needs [tool.setuptools.package-data] "services.gateway" = ["static/*"]).
RUN if [ -f requirements.lock ]; then pip install --no-deps .; else pip install .; fi \
 && cd / && dangvien --help >/dev/null \
 && python -c "import documents.tables, pathlib, services.gateway as g; p = pathlib.Path(g.__file__).parent / 'static' / 'index.html'; assert p.is_file(), f'{p} missing from the installed package'; c = p.parent / 'vendor' / 'chart.umd.min.js'; assert c.is_file(), f'{c} missing'"

# --- runtime: slim, no compilers, no pip cache, not root ------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="dangvien" \
      org.opencontainers.image.description="Event-sourced party member management: members, meetings, discipline, reporting, gateway"

ARG UID=10001
RUN groupadd --system --gid ${UID} dangvien \
 && useradd --system --uid ${UID} --gid ${UID} --home-dir /var/lib/dangvien --shell /usr/sbin/nologin dangvien \
 && mkdir -p /var/lib/dangvien /var/lib/dangvien-keys \
 && chown ${UID}:${UID} /var/lib/dangvien /var/lib/dangvien-keys \
 && chmod 700 /var/lib/dangvien /var/lib/dangvien-keys

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DANGVIEN_DATA_DIR=/var/lib/dangvien \
    DANGVIEN_HTTP_HOST=0.0.0.0 \
    DANGVIEN_HTTP_PORT=8000 \
    DANGVIEN_METRICS_PORT=9100 \
    DANGVIEN_LOG_FORMAT=json

# Every file a process writes is its owner's only: `dangvien` sets umask 077 before anything
# else (shared/files.py; DANGVIEN_UMASK=027 lets a group read). The vault's master key is never
# in the data folder: /var/lib/dangvien-keys (docker-compose.yml) or a secret (deploy/).
WORKDIR /var/lib/dangvien
USER 10001:10001

# 8000: gateway HTTP API; 9100: /healthz, /readyz and /metrics of every service.
EXPOSE 8000 9100

# Same probe for every service (the slim image has no curl).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('DANGVIEN_METRICS_PORT', '9100'), timeout=4)"]

# The argument is the service: members | meetings | discipline | reporting | gateway.
ENTRYPOINT ["dangvien", "serve"]
