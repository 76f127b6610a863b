# Pure computation (no provider): IAM policy documents from the topology's permissions.
terraform {
  required_version = ">= 1.5.0"
}
