# prod: account, role and the sizes that are not in topology.yaml (counts and retention are).
env                 = "prod"
region              = "eu-west-3"
account_id          = "REPLACE_WITH_PROD_ACCOUNT_ID"
deploy_role_arn     = "arn:aws:iam::REPLACE_WITH_PROD_ACCOUNT_ID:role/atelier-terraform"
multi_az            = true
deletion_protection = true
enable_waf          = true
gpu_instance_type   = "g4dn.xlarge"
alert_emails        = []
alert_webhooks      = []
