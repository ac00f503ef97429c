terraform {
  required_version = ">= 1.10.0"

  required_providers {
    restapi = {
      source  = "Mastercard/restapi"
      version = "1.20.0"
    }
  }
}
