# State lives in the preprod account: an S3 bucket (versioned, KMS-encrypted) and a DynamoDB lock
# table, both created once by the bootstrap described in docs/deployment.md.
terraform {
  backend "s3" {
    bucket         = "atelier-tfstate-preprod"
    key            = "atelier/preprod.tfstate"
    region         = "eu-west-3"
    dynamodb_table = "atelier-tfstate-lock"
    encrypt        = true
  }
}
