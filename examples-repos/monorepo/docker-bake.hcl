# Written by `strata init`: one target per app, each built through the
# Strata frontend its Dockerfile's syntax line names. Run at the repository root:
#   docker buildx bake                    # every app, for the builder's platform
#   docker buildx bake api --print        # what one target resolves to
#   REGISTRY=ghcr.io/acme TAG=$(git rev-parse --short HEAD) BRANCH=feature-x \
#     PLATFORMS=linux/amd64,linux/arm64 docker buildx bake --push
# Each app caches in the registry at <image>:cache-<BRANCH> and starts from
# <image>:cache-<DEFAULT_BRANCH> when its branch has none yet.

variable "REGISTRY" {
  default = "localhost:5000"
}

variable "TAG" {
  default = "dev"
}

variable "BRANCH" {
  default = "main"
}

variable "DEFAULT_BRANCH" {
  default = "main"
}

# Comma-separated; empty builds for the builder's own platform.
variable "PLATFORMS" {
  default = ""
}

group "default" {
  targets = ["api", "notify", "web", "worker"]
}

target "api" {
  context    = "backend"
  dockerfile = "cmd/api/Dockerfile"
  tags       = ["${REGISTRY}/api:${TAG}"]
  platforms  = compact(split(",", PLATFORMS))
  cache-from = [
    "type=registry,ref=${REGISTRY}/api:cache-${BRANCH}",
    "type=registry,ref=${REGISTRY}/api:cache-${DEFAULT_BRANCH}",
  ]
  cache-to   = ["type=registry,ref=${REGISTRY}/api:cache-${BRANCH},mode=max"]
}

target "notify" {
  context    = "backend"
  dockerfile = "cmd/notify/Dockerfile"
  tags       = ["${REGISTRY}/notify:${TAG}"]
  platforms  = compact(split(",", PLATFORMS))
  cache-from = [
    "type=registry,ref=${REGISTRY}/notify:cache-${BRANCH}",
    "type=registry,ref=${REGISTRY}/notify:cache-${DEFAULT_BRANCH}",
  ]
  cache-to   = ["type=registry,ref=${REGISTRY}/notify:cache-${BRANCH},mode=max"]
}

target "web" {
  context    = "web"
  dockerfile = "Dockerfile"
  tags       = ["${REGISTRY}/web:${TAG}"]
  platforms  = compact(split(",", PLATFORMS))
  cache-from = [
    "type=registry,ref=${REGISTRY}/web:cache-${BRANCH}",
    "type=registry,ref=${REGISTRY}/web:cache-${DEFAULT_BRANCH}",
  ]
  cache-to   = ["type=registry,ref=${REGISTRY}/web:cache-${BRANCH},mode=max"]
}

target "worker" {
  context    = "worker"
  dockerfile = "Dockerfile"
  tags       = ["${REGISTRY}/worker:${TAG}"]
  platforms  = compact(split(",", PLATFORMS))
  cache-from = [
    "type=registry,ref=${REGISTRY}/worker:cache-${BRANCH}",
    "type=registry,ref=${REGISTRY}/worker:cache-${DEFAULT_BRANCH}",
  ]
  cache-to   = ["type=registry,ref=${REGISTRY}/worker:cache-${BRANCH},mode=max"]
}
