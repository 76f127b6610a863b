# State lives in the prod account: an S3 bucket (versioned, KMS-encrypted) and a DynamoDB lock
# table, both created once by the bootstrap described in docs/deployment.md.
terraform {
  backend "s3" {
    bucket         = "atelier-tfstate-prod"
    key            = "atelier/prod.tfstate"
    region         = "eu-west-3"
    dynamodb_table = "atelier-tfstate-lock"
    encrypt        = true
  }
}
