# twin-dashboard: the app, on its embedded SQLite store by default (seeded from the packaged
# geodata/) or on PostgreSQL + PostGIS (compose.yaml). Nothing is fetched at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TWIN_DASHBOARD_DATA=/data

# Reports: the CJK font the PDFs embed, and the Chromium kaleido draws their charts in.
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       fonts-noto-cjk chromium \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY twin_dashboard ./twin_dashboard
COPY assets ./assets
COPY geodata ./geodata
RUN pip install --no-cache-dir ".[postgis,redis]" && rm -rf /src

WORKDIR /app
VOLUME ["/data"]
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/healthz', timeout=4)"
CMD ["twin-dashboard", "serve", "--host", "0.0.0.0", "--port", "8050"]
