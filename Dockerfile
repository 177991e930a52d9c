# Comptoir's production image: the web server, a worker or beat, by its command (compose.yaml, docs/deploy.md).
#   docker build -t comptoir .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    COMPTOIR_VAR_DIR=/srv/comptoir/var \
    COMPTOIR_WEB_BIND=0.0.0.0:8000

# gettext compiles the translations; PostgreSQL's client programs are what `manage.py backup` runs.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# Comptoir never runs as root: its own user owns only var/ (the beat schedule, uploads in progress, local files).
RUN useradd --system --uid 10001 --home-dir /srv/comptoir --create-home comptoir

WORKDIR /srv/comptoir/app

# Dependencies first, pinned with their hashes (pip refuses any other file): a change of code alone
# reuses this layer.
COPY requirements/production.txt requirements/production.txt
RUN pip install --require-hashes --no-deps -r requirements/production.txt
COPY pyproject.toml README.md ./
COPY comptoir/__init__.py comptoir/__init__.py
RUN pip install --no-deps -e .

COPY manage.py ./
COPY comptoir ./comptoir
COPY deploy ./deploy

# Translations and static files are built into the image, never at start-up.
# The settings need a secret to load; this one exists only during the build.
RUN cd comptoir && django-admin compilemessages -v0 \
    && cd .. \
    && DEBUG=0 SECRET_KEY=build-only-key-never-used-to-sign-anything-0123456789abcdef \
       python manage.py collectstatic --no-input -v0 \
    && mkdir -p /srv/comptoir/var/media /srv/comptoir/var/celery \
    && chown -R comptoir:comptoir /srv/comptoir/var

USER comptoir
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "comptoir.wsgi"]
