#!/usr/bin/env bash
# Build and push one Strata app with a registry cache per branch, on any
# CI runner that has `docker buildx` (with a builder that is not the
# `docker` driver: docker-container, remote or kubernetes) or `strata build`
# (BUILDKIT_HOST names the daemon). docs/ci.md explains the choices.
#
#   IMAGE=registry.example.com/team/api docs/ci/build.sh [more build flags…]
#
# Environment (only IMAGE is required):
#   IMAGE           the image repository; the image is pushed as $IMAGE:$TAG
#   TAG             default: the commit (git rev-parse --short HEAD)
#   BRANCH          default: the CI's branch variable (GitHub, GitLab), else git's
#   DEFAULT_BRANCH  the branch a new branch's first build takes its cache from
#                   (default: $CI_DEFAULT_BRANCH, else main)
#   CACHE_REPO      where the caches go, as $CACHE_REPO:cache-<branch> (default: $IMAGE)
#   CACHE_FROM      auto (default): import the branch's cache when the registry holds its
#                   tag, else the default branch's; both: import the two
#   CACHE_MODE      max (default: every stage, dependency steps included) or min
#   CACHE_OPTS      more --cache-to options, e.g. image-manifest=true,oci-mediatypes=true
#   CONTEXT         the build context (default: .)
#   BUILD           the build command (default: docker buildx build; `strata build`
#                   takes the same flags)
#   PUSH            true (default) pushes the image; false builds and caches only
#   DRY_RUN         1 prints the command, one argument per line, and runs nothing (the
#                   lookup of the branch's cache tag still asks the registry)
# Arguments are passed to the build command before the context
# (--platform, --build-arg, -f, --progress …).
set -euo pipefail

die() {
	echo "build.sh: $*" >&2
	exit 1
}

# slug turns a branch name into a tag suffix: lower case, every character
# outside [a-z0-9._-] a dash, no leading dot or dash, at most 100
# characters. `strata cache prune --keep-branch` computes the same.
slug() {
	local s
	s=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | LC_ALL=C sed 's/[^a-z0-9._-]/-/g; s/^[.-]*//')
	printf '%s' "${s:0:100}"
}

[[ -n ${IMAGE:-} ]] || die "IMAGE is not set: the image repository, e.g. IMAGE=registry.example.com/team/api"
[[ ${IMAGE##*/} != *:* && $IMAGE != *@* ]] || die "IMAGE=$IMAGE: name the repository without a tag (TAG sets it)"
CONTEXT=${CONTEXT:-.}
[[ -d $CONTEXT ]] || die "CONTEXT=$CONTEXT is not a directory"
if [[ -z ${TAG:-} ]]; then
	TAG=$(git -C "$CONTEXT" rev-parse --short HEAD 2>/dev/null) || die "TAG is not set and $CONTEXT is not in a git checkout"
fi
if [[ -z ${BRANCH:-} ]]; then
	# GitHub: the pull request's head branch, else the pushed branch; GitLab: the ref.
	BRANCH=${GITHUB_HEAD_REF:-${GITHUB_REF_NAME:-${CI_COMMIT_REF_NAME:-}}}
	[[ -n $BRANCH ]] || BRANCH=$(git -C "$CONTEXT" rev-parse --abbrev-ref HEAD 2>/dev/null) || die "BRANCH is not set and $CONTEXT is not in a git checkout"
	[[ $BRANCH != HEAD ]] || die "BRANCH is not set and the checkout is a detached HEAD: set BRANCH"
fi
DEFAULT_BRANCH=${DEFAULT_BRANCH:-${CI_DEFAULT_BRANCH:-main}}
CACHE_REPO=${CACHE_REPO:-$IMAGE}
CACHE_MODE=${CACHE_MODE:-max}
[[ $CACHE_MODE == max || $CACHE_MODE == min ]] || die "CACHE_MODE=$CACHE_MODE: max or min"
PUSH=${PUSH:-true}
[[ $PUSH == true || $PUSH == false ]] || die "PUSH=$PUSH: true or false"
read -r -a build <<<"${BUILD:-docker buildx build}"

branch_tag=cache-$(slug "$BRANCH")
default_tag=cache-$(slug "$DEFAULT_BRANCH")
[[ $branch_tag != cache- ]] || die "BRANCH=$BRANCH gives an empty cache tag"

# has_tag REF: whether the registry holds REF, asked with the tool at hand
# (the same registry login as the build's).
has_tag() {
	if [[ ${build[0]##*/} == strata ]]; then
		"${build[0]}" cache exists "$1" >/dev/null 2>&1
	else
		docker buildx imagetools inspect "$1" >/dev/null 2>&1
	fi
}

cache_to="type=registry,ref=$CACHE_REPO:$branch_tag,mode=$CACHE_MODE"
[[ -z ${CACHE_OPTS:-} ]] || cache_to+=",$CACHE_OPTS"
from=("$CACHE_REPO:$branch_tag")
case ${CACHE_FROM:-auto} in
auto)
	# One cache: given two that hold the same step, BuildKit follows either
	# one's record of it, and from the default branch's it then misses the
	# branch's steps after it (docs/ci.md). A branch's first build has no
	# cache of its own yet: the default branch's fills in.
	if [[ $default_tag != "$branch_tag" ]] && ! has_tag "$CACHE_REPO:$branch_tag"; then
		echo "build.sh: $CACHE_REPO:$branch_tag is not in the registry yet: importing $CACHE_REPO:$default_tag" >&2
		from=("$CACHE_REPO:$default_tag")
	fi
	;;
both)
	[[ $default_tag == "$branch_tag" ]] || from+=("$CACHE_REPO:$default_tag")
	;;
*) die "CACHE_FROM=$CACHE_FROM: auto or both" ;;
esac
args=()
for ref in "${from[@]}"; do
	args+=(--cache-from "type=registry,ref=$ref") # a missing cache is a warning, never an error
done
args+=(--cache-to "$cache_to")
if [[ $PUSH == true ]]; then
	args+=(--tag "$IMAGE:$TAG" --push)
else
	args+=(--output type=cacheonly)
fi

if [[ ${DRY_RUN:-0} == 1 ]]; then
	printf '%s\n' "${build[@]}" "${args[@]}" "$@" "$CONTEXT"
	exit 0
fi
echo "+ ${build[*]} ${args[*]} $* $CONTEXT" >&2
exec "${build[@]}" "${args[@]}" "$@" "$CONTEXT"
