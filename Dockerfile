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
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/web/package.json web/package.json
COPY --from=build /app/web/build web/build
USER node
EXPOSE 8080 1883
CMD ["node", "dist/hub/main.js"]
