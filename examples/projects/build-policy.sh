#!/usr/bin/env bash
# The Tracklane example's policy: compile examples/projects/policy/splitplane.rego to
# examples/projects/policy/policy.wasm (committed), run its Rego tests, or check that the
# committed wasm is not stale. Same opa version and build as scripts/policy.sh.
#   examples/projects/build-policy.sh build   compile the wasm
#   examples/projects/build-policy.sh test    opa test (verbose)
#   examples/projects/build-policy.sh check   the tests, then fail if the committed wasm is stale
set -euo pipefail
OPA_VERSION=v1.22.2
cd "$(dirname "$0")/policy"
OPA="${OPA:-$(command -v opa || echo "$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin/opa")}"
if [ ! -x "$OPA" ]; then
  echo "opa CLI not found. Install it with: go install github.com/open-policy-agent/opa@${OPA_VERSION}" >&2
  exit 3
fi
have=$("$OPA" version | sed -n 's/^Version: //p')
if [ "v$have" != "$OPA_VERSION" ]; then
  echo "opa $have found, $OPA_VERSION required (go install github.com/open-policy-agent/opa@${OPA_VERSION})" >&2
  exit 3
fi

compile() { # $1: output wasm path
  local tmp; tmp=$(mktemp -d)
  "$OPA" build -t wasm -e splitplane/decision splitplane.rego -o "$tmp/bundle.tar.gz"
  tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" /policy.wasm 2>/dev/null || tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" policy.wasm
  mv "$tmp/policy.wasm" "$1"
  rm -rf "$tmp"
}

case "${1:-}" in
  build)
    compile policy.wasm
    echo "wrote examples/projects/policy/policy.wasm ($(sha256sum policy.wasm | cut -c1-16)...)"
    ;;
  test)
    "$OPA" test -v splitplane.rego splitplane_test.rego
    ;;
  check)
    "$OPA" test splitplane.rego splitplane_test.rego
    fresh=$(mktemp)
    compile "$fresh"
    if ! cmp -s "$fresh" policy.wasm; then
      echo "examples/projects/policy/policy.wasm is stale: run examples/projects/build-policy.sh build and commit the result" >&2
      rm -f "$fresh"; exit 1
    fi
    rm -f "$fresh"
    echo "examples/projects/policy/policy.wasm is up to date with splitplane.rego"
    ;;
  *) echo "usage: examples/projects/build-policy.sh build|test|check" >&2; exit 2 ;;
esac
