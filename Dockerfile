# The WMS as a container, in two stages: build the wheel from the checkout, then install only
# that wheel (and its dependencies) into a slim image. No source tree, no editable install.

# ---- stage 1: build the wheel (templates/, static/, labels/, seed_data/ go inside it)
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY wms ./wms
COPY templates ./templates
COPY static ./static
COPY labels ./labels
COPY seed_data ./seed_data
RUN python -m build --wheel --outdir /dist .

# ---- stage 2: the runtime image
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

COPY --from=build /dist/*.whl /tmp/
RUN pip install /tmp/*.whl && rm /tmp/*.whl \
    && useradd --system --uid 10001 --home-dir /var/lib/wms --create-home wms \
    && chown -R wms /var/lib/wms

USER wms
WORKDIR /var/lib/wms
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1

# WMS_SECRET_KEY and WMS_DATABASE_URL come from the environment (the app refuses to start
# without the secret). Migrations run first, then the production server. compose.yaml runs
# the migrations once in their own service and starts `wms serve` / `wms worker` directly.
CMD ["sh", "-c", "wms db upgrade && exec wms serve"]
