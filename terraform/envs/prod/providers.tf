# CI (or an engineer) authenticates in the tooling account and assumes the env account's role.
provider "aws" {
  region = var.region

  assume_role {
    role_arn     = var.deploy_role_arn
    session_name = "atelier-terraform"
  }

  allowed_account_ids = [var.account_id]

  default_tags {
    tags = { Project = "atelier", Environment = var.env, ManagedBy = "terraform" }
  }
}

# CloudFront's WAF lives in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  assume_role {
    role_arn     = var.deploy_role_arn
    session_name = "atelier-terraform"
  }

  allowed_account_ids = [var.account_id]

  default_tags {
    tags = { Project = "atelier", Environment = var.env, ManagedBy = "terraform" }
  }
}
