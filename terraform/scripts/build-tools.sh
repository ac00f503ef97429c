#!/usr/bin/env bash
# Build the Terraform toolchain offline from the Go module proxy, cached under ~/.cache/icefloe/terraform:
#   * OpenTofu (the CLI): `go build ./cmd/tofu` in a writable copy of the module (go install refuses its
#     replace directive);
#   * the providers the `local` workspace needs, laid out as a filesystem mirror
#     (<mirror>/registry.opentofu.org/<ns>/<type>/<version>/<os_arch>/terraform-provider-<type>_v<version>)
#     that terraform/tofurc.hcl points at;
#   * a schema-only stand-in for hashicorp/aws (scripts/aws-schema-provider), for the tests.
# Re-running is cheap: every binary that already exists is kept. Usage: build-tools.sh [--print-env]
set -euo pipefail

CACHE="${ICEFLOE_TF_CACHE:-$HOME/.cache/icefloe/terraform}"
TOFU_VERSION="1.12.6"
OS_ARCH="$(go env GOOS)_$(go env GOARCH)"
MIRROR="$CACHE/mirror"
# registry address | Go module | version (only tagged versions the proxy serves; some are refused with 403)
PROVIDERS=(
  "Mongey/kafka|github.com/Mongey/terraform-provider-kafka|0.13.1"
  "aminueza/minio|github.com/aminueza/terraform-provider-minio/v3|3.2.2"
  "Mastercard/restapi|github.com/Mastercard/terraform-provider-restapi|1.20.0"
)
export GOFLAGS="-buildvcs=false -trimpath"
export CGO_ENABLED=0

log() { echo "==> $*" >&2; }

build_module() {  # <module> <version> <package> <output>
  local module="$1" version="$2" pkg="$3" out="$4"
  if [[ -x "$out" ]]; then return 0; fi
  local dir src
  dir="$(go mod download -json "$module@v$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [[ -n "$dir" ]] || { echo "go mod download $module@v$version failed (the Go proxy must serve it)" >&2; exit 1; }
  src="$CACHE/src/$(basename "$module")-$version"
  if [[ ! -d "$src" ]]; then
    mkdir -p "$CACHE/src"
    cp -r "$dir" "$src.tmp" && chmod -R u+w "$src.tmp" && mv "$src.tmp" "$src"
  fi
  mkdir -p "$(dirname "$out")"
  log "building $module v$version (cold builds take minutes on 2 cores)"
  (cd "$src" && go build -p "${ICEFLOE_TF_BUILD_JOBS:-2}" -ldflags "-s -w" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
}

build_module github.com/opentofu/opentofu "$TOFU_VERSION" ./cmd/tofu "$CACHE/bin/tofu-$TOFU_VERSION"
ln -sf "tofu-$TOFU_VERSION" "$CACHE/bin/tofu"

# The schema-only stand-in for hashicorp/aws (tests only: `tofu validate` and `tofu test` of the aws
# workspace offline). Built inside OpenTofu's tree to reuse its plugin server; rebuilt when its source
# changes (the binary's name carries the source's hash). Mostly shares OpenTofu's build cache (~1 min).
stub_src="$(dirname "${BASH_SOURCE[0]}")/aws-schema-provider/main.go"
stub_hash="$(sha256sum "$stub_src" | cut -c1-12)"
stub_out="$CACHE/bin/icefloe-aws-schema-provider-$stub_hash"
if [[ ! -x "$stub_out" ]]; then
  log "building the aws schema-only provider (tests)"
  mkdir -p "$CACHE/src/opentofu-$TOFU_VERSION/cmd/icefloe-aws-schema-provider"
  cp "$stub_src" "$CACHE/src/opentofu-$TOFU_VERSION/cmd/icefloe-aws-schema-provider/main.go"
  (cd "$CACHE/src/opentofu-$TOFU_VERSION" && go build -p "${ICEFLOE_TF_BUILD_JOBS:-2}" -ldflags "-s -w" \
    -o "$stub_out.tmp" ./cmd/icefloe-aws-schema-provider)
  mv "$stub_out.tmp" "$stub_out"
fi
ln -sf "$(basename "$stub_out")" "$CACHE/bin/icefloe-aws-schema-provider"

for entry in "${PROVIDERS[@]}"; do
  IFS='|' read -r addr module version <<<"$entry"
  ns="${addr%%/*}"; type="${addr##*/}"
  build_module "$module" "$version" . \
    "$MIRROR/registry.opentofu.org/${ns,,}/$type/$version/$OS_ARCH/terraform-provider-${type}_v$version"
done
log "toolchain ready: $CACHE/bin/tofu, providers in $MIRROR"
