# Deliberately no provider: this module is pure computation, so it applies offline.
terraform {
  required_version = ">= 1.5.0"
}
