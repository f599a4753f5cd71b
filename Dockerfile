# The Strata frontend image, built with the stock dockerfile.v0 frontend
# (hack/frontend.sh). The binary is cross-compiled on the build platform.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
# The shipped binary links a standard library with no known vulnerability
# (hack/vulncheck.sh scans with the same toolchain); the go command fetches
# it through the module proxy into the module cache mount.
ENV GOTOOLCHAIN=go1.27.3
# Dependencies depend on go.mod/go.sum only, so this step survives source edits.
RUN --mount=type=bind,source=go.mod,target=go.mod \
    --mount=type=bind,source=go.sum,target=go.sum \
    --mount=type=cache,target=/go/pkg/mod \
    go mod download
ARG TARGETOS TARGETARCH TARGETVARIANT
# Declared here so a new version only reruns the compile step.
ARG VERSION=dev
RUN --mount=type=bind,target=. \
    --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} \
    go build -trimpath \
      -ldflags "-s -w -X github.com/strata-build/strata/internal/version.Version=${VERSION}" \
      -o /out/strata-frontend ./cmd/strata-frontend

# An organisation's defaults (hack/publish.sh): a named context
# `defaults` holding defaults.yaml replaces this empty stage, and the
# frontend reads the file at /etc/strata/defaults.yaml.
FROM scratch AS defaults

FROM scratch
COPY --link --from=build /out/strata-frontend /bin/strata-frontend
COPY --link --from=defaults /defaults.yam[l] /etc/strata/
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
# BuildKit ignores USER for a gateway frontend: the binary drops to this
# user itself; the line says so to anything else that runs the image.
USER 65532:65532
ENTRYPOINT ["/bin/strata-frontend"]
