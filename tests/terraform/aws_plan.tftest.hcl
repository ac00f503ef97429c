# `tofu test` of the aws workspace with the aws provider mocked (tests/terraform/test_tofu_aws.py
# copies this file into a copy of terraform/tests/ and runs it with -var-file=aws.tfvars): every
# resource is planned and "applied" against generated values, nothing reaches AWS. The schema comes
# from the schema-only stand-in provider (aws_stub.py), so every argument is type-checked by tofu.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:user/test"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_vpc" {
    defaults = {
      cidr_block = "10.0.0.0/16"
    }
  }
}

run "aws_workspace" {
  command = apply

  assert {
    condition     = startswith(nonsensitive(output.profile["ICEFLOE_CATALOG_URI"]), "https://glue.eu-west-1.amazonaws.com/iceberg")
    error_message = "The catalog is the Glue Iceberg REST endpoint of the region."
  }
  assert {
    condition     = nonsensitive(output.profile["ICEFLOE_CATALOG_SIGV4"]) == "true"
    error_message = "Glue's Iceberg REST endpoint is called with SigV4."
  }
  assert {
    condition     = nonsensitive(output.profile["ICEFLOE_KAFKA_SECURITY_PROTOCOL"]) == "SASL_SSL"
    error_message = "MSK is reached over TLS with IAM auth."
  }
  assert {
    condition     = length(output.queries) == length(yamldecode(file("../sql/queries/queries.yaml")).queries) && contains(output.queries, "icefloe_orders_daily")
    error_message = "Every portable query in sql/queries/queries.yaml is an Athena named query."
  }
  assert {
    condition = length(setsubtract([
      "ICEFLOE_CATALOG_URI", "ICEFLOE_CATALOG_WAREHOUSE", "ICEFLOE_WAREHOUSE_BUCKET", "ICEFLOE_ARTIFACTS_BUCKET",
      "ICEFLOE_CHECKPOINTS_BUCKET", "ICEFLOE_KAFKA_BOOTSTRAP_SERVERS", "ICEFLOE_REGION", "ICEFLOE_CHECKPOINT_DIR",
    ], keys(nonsensitive(output.profile)))) == 0
    error_message = "The aws workspace emits the same ICEFLOE_ contract keys as the local one."
  }
}
