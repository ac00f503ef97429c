terraform {
  required_version = ">= 1.10.0"

  required_providers {
    minio = {
      source  = "aminueza/minio"
      version = "3.2.2"
    }
    kafka = {
      source  = "Mongey/kafka"
      version = "0.13.1"
    }
    restapi = {
      source  = "Mastercard/restapi"
      version = "1.20.0"
    }
  }
}
