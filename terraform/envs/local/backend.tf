# Local state: this root targets the local runtime (Atelier's emulator or LocalStack) only.
terraform {
  backend "local" {
    path = "../../../.atelier/terraform/local.tfstate"
  }
}
