# Workspace `local`: the local stack started by `icefloe local up` (or `make up`).
# Ports default to the stack's defaults; when the stack runs on other ports (ICEFLOE_*_PORT), pass
# them too, e.g. TF_VAR_local_stack='{"s3_port":48333,"kafka_port":49092,"catalog_port":48181,"api_port":48090}'
# (terraform/scripts/tf.sh does this from the ICEFLOE_ variables).
target = "local"
region = "us-east-1"

# The local development signing secrets (the same public values as icefloe.config.local_profile).
webhook_secrets = {
  ICEFLOE_SHOPIFY_WEBHOOK_SECRET = "shpss_local_development_secret"
  ICEFLOE_STRIPE_WEBHOOK_SECRET  = "whsec_local_development_secret"
  ICEFLOE_HUBSPOT_CLIENT_SECRET  = "hubspot-local-client-secret"
}
