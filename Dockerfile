# syntax=docker/dockerfile:1
# Séance in a container: a static binary (no cgo: SQLite is pure Go) on a
# distroless base that has CA certificates (for the LLM providers) and
# nothing else — no shell, no package manager — running as a non-root user.
#
#   docker build -t seance .
#   docker run -p 8000:8000 -v seance-data:/data seance
#
# Untested here: no container engine runs on the machines this was written on.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/seance ./cmd/seance \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/seance /usr/local/bin/seance
# The SQLite database lives in /data, owned by the nonroot user (65532):
# distroless has no shell to create it at run time.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
ENV SEANCE_ADDR=:8000 \
    SEANCE_DATABASE_URL=sqlite:/data/seance.db
VOLUME ["/data"]
EXPOSE 8000
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/seance"]
CMD ["serve"]
