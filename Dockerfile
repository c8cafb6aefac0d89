# jailnet image: the Django app (web: uvicorn ASGI; worker: celery). docker-compose.yml runs it.

# --- frontend (built only once frontend/package.json exists) ------------------------------------
FROM node:20-bookworm-slim AS frontend
WORKDIR /src
COPY . .
RUN if [ -f frontend/package.json ]; then \
        cd frontend && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi \
        && npm run build; \
    fi; \
    mkdir -p /src/frontend/dist

# --- app ----------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    JAILNET_VAR_DIR=/var/lib/jailnet
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
COPY --from=frontend /src/frontend/dist ./frontend/dist
# Static files are collected into the image (JAILNET_VAR_DIR/static, served by WhiteNoise). With both keys in
# the environment, settings write no secrets file; at run time the keys come from DJANGO_SECRET_KEY and
# JAILNET_CREDENTIAL_KEY.
RUN useradd --system --home-dir /app --shell /usr/sbin/nologin jailnet \
    && mkdir -p "$JAILNET_VAR_DIR" \
    && DJANGO_SECRET_KEY=build-only JAILNET_CREDENTIAL_KEY=build-only python manage.py collectstatic --noinput --verbosity 0 \
    && chown -R jailnet "$JAILNET_VAR_DIR"
USER jailnet
EXPOSE 8000
CMD ["python", "-m", "uvicorn", "project.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
