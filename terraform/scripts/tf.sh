#!/usr/bin/env bash
# Run OpenTofu on the root configuration in one workspace, with the project's toolchain:
#   terraform/scripts/tf.sh local plan|apply|destroy|output ...
#   terraform/scripts/tf.sh aws   validate|plan ...
# It builds the toolchain if missing (cached), renders the shipped CLI configuration (tofurc.hcl)
# with the mirror's path, initialises a data directory per workspace (the targets need different
# providers), selects or creates the workspace, and passes <workspace>.tfvars to the commands that
# take variables. For `local`, the ICEFLOE_*_PORT / ICEFLOE_HOST / ICEFLOE_STATE_DIR variables of
# the running stack become the `local_stack` variable, so tofu talks to the same stack as icefloe.
# Overrides (tests): ICEFLOE_TF_DATA_DIR, ICEFLOE_TF_WORKSPACE_DIR (where the workspace states live).
set -euo pipefail

usage() { echo "usage: $0 local|aws <tofu command> [args...]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
ws="$1"; shift
[[ "$ws" == local || "$ws" == aws ]] || usage

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${ICEFLOE_TF_CACHE:-$HOME/.cache/icefloe/terraform}"
tofu="$cache/bin/tofu"
[[ -x "$tofu" ]] || "$here/scripts/build-tools.sh"

mkdir -p "$cache" "$here/.terraform"
sed "s#__MIRROR__#$cache/mirror#" "$here/tofurc.hcl" > "$cache/tofurc"
export TF_CLI_CONFIG_FILE="$cache/tofurc"
export TF_DATA_DIR="${ICEFLOE_TF_DATA_DIR:-$here/.terraform/$ws}"
export TF_IN_AUTOMATION=1
export TF_INPUT=0
varfile="-var-file=$here/$ws.tfvars"
for cmd in plan apply destroy validate refresh import console; do
  export "TF_CLI_ARGS_$cmd=$varfile"
done

if [[ "$ws" == local ]]; then
  state_dir="${ICEFLOE_STATE_DIR:-$(cd "$here/.." && pwd)/.icefloe}"
  export TF_VAR_local_stack="{\"host\":\"${ICEFLOE_HOST:-127.0.0.1}\",\"state_dir\":\"$state_dir\",\"s3_port\":${ICEFLOE_S3_PORT:-18333},\"kafka_port\":${ICEFLOE_KAFKA_PORT:-19092},\"catalog_port\":${ICEFLOE_CATALOG_PORT:-18181},\"api_port\":${ICEFLOE_API_PORT:-8090}}"
fi

init_args=(-input=false "$varfile")
[[ -n "${ICEFLOE_TF_WORKSPACE_DIR:-}" ]] && init_args+=("-backend-config=workspace_dir=$ICEFLOE_TF_WORKSPACE_DIR")
if [[ "${1:-}" != fmt ]]; then
  "$tofu" -chdir="$here" init "${init_args[@]}" >"$TF_DATA_DIR.init.log" 2>&1 \
    || { cat "$TF_DATA_DIR.init.log" >&2; echo "tofu init failed (log above); run 'make tf-tools' first" >&2; exit 1; }
  "$tofu" -chdir="$here" workspace select -or-create "$ws" >/dev/null
fi
exec "$tofu" -chdir="$here" "$@"
