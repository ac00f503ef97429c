variable "path" {
  description = "Absolute path of the file to write."
  type        = string
}

variable "content" {
  description = "Content of the file (written with mode 0600)."
  type        = string
  sensitive   = true
}

variable "keep_on_destroy" {
  description = "Leave the file in place on destroy (for files other tools own too, such as the profile)."
  type        = bool
  default     = false
}
