# The registry service image. docker-compose.yml runs it beside PostgreSQL 18.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /app
# Dependencies first (cached while only the code changes), exactly as locked, and only what the
# server uses: no dependency group, so neither the test tools (dev) nor the embedded PostgreSQL
# (embedded; the image runs beside a real PostgreSQL and needs REGISTRY_DATABASE_URL).
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-default-groups --no-install-project
COPY registry ./registry
COPY migrations ./migrations
COPY policies ./policies
COPY schema.graphql ./
RUN uv sync --locked --no-default-groups

RUN useradd --system --uid 10001 registry && mkdir -p /data && chown registry /data
USER registry
ENV REGISTRY_DATA_DIR=/data REGISTRY_HOST=0.0.0.0 REGISTRY_PORT=8000 PATH="/app/.venv/bin:$PATH"
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/ready')" || exit 1
CMD ["registry", "serve"]
