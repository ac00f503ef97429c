#!/usr/bin/env bash
# The static checks of terraform/ (what CI runs; the local apply is an integration test):
#   1. tofu fmt -check on everything;
#   2. tofu validate of the local workspace (its providers are built here);
#   3. checkov over the whole tree: no failed check; every skip carries its reason in place;
#   4. the interface tests and the aws schema test (the aws provider cannot be built here, so
#      every aws resource is checked against its schema from PyPI cdktn-provider-aws instead).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
tofu="${ICEFLOE_TF_CACHE:-$HOME/.cache/icefloe/terraform}/bin/tofu"
export TF_CLI_CONFIG_FILE=/dev/null

echo "==> tofu fmt -check"
"$tofu" -chdir="$here" fmt -recursive -check -diff
echo "==> tofu validate (workspace local)"
"$here/scripts/tf.sh" local validate
echo "==> checkov"
"$root/.venv-tools/bin/checkov" -d "$here" --framework terraform --quiet --compact --skip-download
echo "==> interface and aws schema tests"
cd "$root" && .venv-tools/bin/python -m pytest tests/terraform -q -p no:cacheprovider
