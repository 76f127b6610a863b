terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
      # CloudFront's WAF web ACLs live in us-east-1 whatever the environment's region.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
