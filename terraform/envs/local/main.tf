# The same stack as qa/preprod/prod (service autoscaling included: the runtime scales the
# service), minus what the local runtime has no use for: no NAT,
# CloudFront, WAF, canary, budget or GPU instances (the compute agent runs GPU tasks itself),
# and nothing protected from deletion.
module "stack" {
  source                      = "../../modules/stack"
  env                         = "local"
  topology_path               = "${path.root}/../../../topology.yaml"
  bundle_dir                  = var.bundle_dir
  image_tag                   = var.image_tag
  dependency_layer            = true
  enable_nat                  = false
  enable_autoscaling          = true
  enable_cdn                  = false
  enable_waf                  = false
  enable_canary               = false
  enable_budgets              = false
  enable_gpu_capacity         = false
  multi_az                    = false
  deletion_protection         = false
  manage_account_logging_role = false
  service_url_base            = var.runtime_endpoint

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
}
