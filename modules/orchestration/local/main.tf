# The local Airflow reads its settings and the runtime profile from an env file written to
# <state_dir>/airflow/airflow.env (`set -a; . <file>` before `airflow standalone`).
locals {
  settings = merge(var.runtime_profile, {
    AIRFLOW__CORE__LOAD_EXAMPLES          = "False"
    AIRFLOW__CORE__DEFAULT_TIMEZONE       = "utc"
    AIRFLOW_HOME                          = "${abspath(var.context.local.state_dir)}/airflow"
    AIRFLOW_VAR_ICEFLOE_BATCH_APPLICATION = var.batch_application_id
  })
}

module "this" {
  source = "../../local_file"

  path    = "${abspath(var.context.local.state_dir)}/airflow/airflow.env"
  content = join("", [for k in sort(keys(local.settings)) : "${k}=${local.settings[k]}\n"])
}
