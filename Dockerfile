# Kasda: one image for every role (API, worker, bank simulator, migrations). The server runs its
# TypeScript through tsx, a runtime dependency; only the web pages are built (Vite), in a first
# stage whose development dependencies stay out of the final image.
#
#   docker build -t kasda .
#   docker run --init --env-file .env -p 3000:3000 kasda                 # API
#   docker run --init --env-file .env kasda npm run kasda -- work        # worker
#
# docker-compose.yml wires all of them together with PostgreSQL and Redis.
FROM node:20-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build:web

FROM node:20-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    SCARF_ANALYTICS=false \
    DOCUMENTS_DIR=/app/out

WORKDIR /app

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# The source stays owned by root and read-only for the app; only the documents directory
# (rendered PDFs, mount a volume here) is writable.
COPY . .
COPY --from=web /app/web/dist ./web/dist
RUN mkdir -p /app/out && chown node:node /app/out

USER node

EXPOSE 3000

CMD ["npm", "run", "kasda", "--", "serve"]
