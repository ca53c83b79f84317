# The WMS as a container: gunicorn on port 8000, migrations applied on start.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    WMS_INSTANCE_PATH=/var/lib/wms \
    WMS_HOST=0.0.0.0 \
    WMS_PORT=8000

# DejaVu fonts let labels print names outside Latin-1; curl serves the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY wms ./wms
COPY templates ./templates
COPY static ./static
COPY labels ./labels
COPY seed_data ./seed_data
RUN pip install --upgrade pip && pip install -e . \
    && useradd --system --uid 10001 --home-dir /var/lib/wms --create-home wms \
    && chown -R wms /var/lib/wms

USER wms
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1

# WMS_SECRET_KEY and WMS_DATABASE_URL come from the environment (the app refuses to start
# without the secret). Migrations run first, then the production server.
CMD ["sh", "-c", "wms db upgrade && exec wms serve"]
