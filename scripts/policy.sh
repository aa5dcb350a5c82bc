#!/usr/bin/env bash
# Policy tooling. The opa CLI version is pinned here; install it with
#   go install github.com/open-policy-agent/opa@${OPA_VERSION}
#   scripts/policy.sh build   compile policies/splitplane.rego to policies/build/policy.wasm
#   scripts/policy.sh test [DIR]   run the Rego unit tests (opa test) of policies/, or of DIR
#   scripts/policy.sh check   run the tests and fail if the committed wasm is stale
#   scripts/policy.sh check-or-skip   as check, but outside CI skip (with a message) when opa is missing
set -euo pipefail
OPA_VERSION=v1.22.2
cd "$(dirname "$0")/.."
OPA="${OPA:-$(command -v opa || echo "$(go env GOPATH 2>/dev/null)/bin/opa")}"
if [ "${1:-}" = "check-or-skip" ]; then
  # npm test: the Rego tests and the bundle check must run in CI; elsewhere they may skip when opa is absent.
  if [ ! -x "$OPA" ] && [ "${CI:-}" != "true" ]; then
    echo "SKIPPED policy tests: the opa CLI is not installed. Install it with: go install github.com/open-policy-agent/opa@${OPA_VERSION}" >&2
    exit 0
  fi
  set -- check
fi
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
  "$OPA" build -t wasm -e splitplane/decision policies/splitplane.rego -o "$tmp/bundle.tar.gz"
  tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" /policy.wasm 2>/dev/null || tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" policy.wasm
  mv "$tmp/policy.wasm" "$1"
  rm -rf "$tmp"
}

case "${1:-}" in
  build)
    mkdir -p policies/build
    compile policies/build/policy.wasm
    echo "wrote policies/build/policy.wasm ($(sha256sum policies/build/policy.wasm | cut -c1-16)...)"
    ;;
  test)
    "$OPA" test -v "${2:-policies/}"
    ;;
  check)
    "$OPA" test policies/
    fresh=$(mktemp)
    compile "$fresh"
    if ! cmp -s "$fresh" policies/build/policy.wasm; then
      echo "policies/build/policy.wasm is stale: run 'npm run policy:build' and commit the result" >&2
      rm -f "$fresh"; exit 1
    fi
    rm -f "$fresh"
    echo "policy bundle is up to date with policies/splitplane.rego"
    ;;
  *) echo "usage: scripts/policy.sh build|test|check" >&2; exit 2 ;;
esac
