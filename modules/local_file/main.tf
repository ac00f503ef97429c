# A file on the machine running tofu, written without a provider: the hashicorp/local provider has no
# version the Go module proxy serves, and the built-in terraform_data resource with a local-exec
# provisioner is enough for a few small configuration files. The file is (re)written when its path
# or content changes; a file deleted by hand is not noticed until then (re-run with -replace).
resource "terraform_data" "this" {
  input = {
    path            = var.path
    content_sha256  = sha256(var.content)
    keep_on_destroy = var.keep_on_destroy
  }

  provisioner "local-exec" {
    interpreter = ["/bin/sh", "-c"]
    command     = "mkdir -p \"$(dirname \"$TARGET\")\" && umask 077 && printf '%s' \"$CONTENT\" > \"$TARGET.tmp\" && mv \"$TARGET.tmp\" \"$TARGET\""
    environment = {
      TARGET  = var.path
      CONTENT = var.content
    }
  }

  provisioner "local-exec" {
    when        = destroy
    interpreter = ["/bin/sh", "-c"]
    command     = self.input.keep_on_destroy ? "true" : "rm -f \"$TARGET\""
    environment = {
      TARGET = self.input.path
    }
  }
}
