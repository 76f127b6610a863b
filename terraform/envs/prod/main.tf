# Thin root: backend, provider and sizes here; everything else comes from topology.yaml
# through the stack module.
module "stack" {
  source              = "../../modules/stack"
  env                 = var.env
  topology_path       = "${path.root}/../../../topology.yaml"
  bundle_dir          = var.bundle_dir
  lambda_artifacts    = var.lambda_artifacts
  image_tag           = var.image_tag
  image_tags          = var.image_tags
  alert_emails        = var.alert_emails
  alert_webhooks      = var.alert_webhooks
  multi_az            = var.multi_az
  deletion_protection = var.deletion_protection
  enable_waf          = var.enable_waf
  gpu_instance_type   = var.gpu_instance_type

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
}
