# qa: account, role and the sizes that are not in topology.yaml (counts and retention are).
env                 = "qa"
region              = "eu-west-3"
account_id          = "REPLACE_WITH_QA_ACCOUNT_ID"
deploy_role_arn     = "arn:aws:iam::REPLACE_WITH_QA_ACCOUNT_ID:role/atelier-terraform"
multi_az            = false
deletion_protection = false
enable_waf          = false
gpu_instance_type   = "g4dn.xlarge"
alert_emails        = []
alert_webhooks      = []
