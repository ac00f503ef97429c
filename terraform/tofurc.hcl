# OpenTofu CLI configuration shipped with the project (TF_CLI_CONFIG_FILE points here; tf.sh does
# it). Providers come only from the filesystem mirror `make tf-tools` builds from the Go module
# proxy; the `hashicorp/aws` provider (about 1.2 GB) is not built here, and for the aws workspace the
# registry is used as usual (a machine that applies to AWS reaches it).
provider_installation {
  filesystem_mirror {
    path    = "__MIRROR__"
    include = ["registry.opentofu.org/mongey/kafka", "registry.opentofu.org/aminueza/minio", "registry.opentofu.org/mastercard/restapi"]
  }
  direct {
    exclude = ["registry.opentofu.org/mongey/kafka", "registry.opentofu.org/aminueza/minio", "registry.opentofu.org/mastercard/restapi"]
  }
}
