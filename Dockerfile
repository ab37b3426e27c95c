# momentcast: one image for the api, the worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

# Production by default: the app then refuses to start without a real MOMENTCAST_SECRET_KEY
# (not the published development key, at least 32 characters); see .env.example.
# REMAP_SIGTERM=SIGQUIT: Celery's pool processes ignore SIGTERM, so a stop signal that reaches
# every process (docker stop with `init`, systemd) leaves the shutdown to the worker's main
# process, which finishes or gives back its tasks within MOMENTCAST_SHUTDOWN_GRACE_SECONDS.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    MOMENTCAST_ENV=production MOMENTCAST_DATA_DIR=/data REMAP_SIGTERM=SIGQUIT
WORKDIR /app

COPY pyproject.toml README.md ./
COPY variation ./variation
COPY service ./service
COPY scheduler ./scheduler
COPY samples ./samples
# Editable: templates, static files and migrations are read from /app/service.
RUN pip install -e .

RUN useradd --create-home --uid 1000 momentcast && mkdir -p /data \
 && chown momentcast /data
USER momentcast
VOLUME ["/data"]
EXPOSE 8000

# uvicorn with the header and idle deadlines momentcast run also uses, and a graceful shutdown
# of MOMENTCAST_SHUTDOWN_GRACE_SECONDS (service/serving.py).
CMD ["python", "-m", "service.serving", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
