# The hub for production: built once, run as an unprivileged user. Used by docker-compose.yml with TimescaleDB.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY web/package.json web/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# ffmpeg: the video path (VIDEO_ENABLED) samples camera streams, pulls RTSP cameras and grabs snapshots with it.
# chromium + CJK fonts: the monthly operations report's PDF (art.37) is Chromium's print of its HTML (CHROMIUM_PATH).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg chromium fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/web/package.json web/package.json
COPY --from=build /app/web/build web/build
# DATA_DIR (./data): media and video snapshots, the spool, generated secrets; a volume in docker-compose.yml.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# HTTP and the web app, MQTT, RTMP (cameras push), HTTP-FLV (browsers play): HTTP_PORT, MQTT_PORT, RTMP_PORT,
# HTTP_FLV_PORT.
EXPOSE 8080 1883 1935 8000
# V8 grows its heap lazily up to a quarter of the machine's memory; a cap keeps the hub's footprint where the
# benchmarks measured it (10,000 devices every 5 s: ~330 MB RSS with 256 MB). Raise it for larger fleets.
ENV HUB_HEAP_MB=256
CMD ["sh", "-c", "exec node --max-old-space-size=$HUB_HEAP_MB dist/hub/main.js"]
