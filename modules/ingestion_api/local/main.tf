# Locally the API is a process started by `icefloe local up api` (uvicorn on 127.0.0.1); it reads the
# runtime profile, so this implementation only contributes its URL and the development secrets.
locals {
  url = "http://${var.context.local.host}:${var.context.local.api_port}"
}
