variable "name_prefix" {
  description = "Resource name prefix, atelier-<env>-."
  type        = string
}

variable "tables" {
  description = "The topology module's tables output: key => {name, hash_key, ttl_attribute, indexes}."
  type = map(object({
    name          = string
    hash_key      = string
    ttl_attribute = optional(string)
    indexes = optional(map(object({
      hash_key  = string
      range_key = optional(string)
    })), {})
  }))
}

variable "buckets" {
  description = "The topology module's buckets output. Website buckets are the frontend module's; the rest are created here."
  type = map(object({
    name      = string
    website   = bool
    versioned = bool
  }))
}

variable "secrets" {
  description = "The topology module's secrets output: key => Secrets Manager name (jwt, db)."
  type        = map(string)
}

variable "database" {
  description = "The topology module's database output."
  type = object({
    identifier        = string
    engine            = string
    engine_version    = string
    instance_class    = string
    db_name           = string
    allocated_storage = number
    credentials       = string
  })
}

variable "db_username" {
  description = "RDS master user name (the local deployer uses the same)."
  type        = string
  default     = "atelier_admin"
}

variable "subnet_ids" {
  description = "Private subnets for the RDS subnet group."
  type        = list(string)
}

variable "db_security_group_id" {
  description = "Security group of the database (admits only the service and tasks groups)."
  type        = string
}

variable "multi_az" {
  description = "Run RDS in two availability zones (prod)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Protect the database and tables from deletion (off only for throw-away environments)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "RDS automated backup retention, in days."
  type        = number
  default     = 7
}

variable "object_expiry_days" {
  description = "Days after which inputs/results objects (and old versions) expire."
  type        = number
  default     = 90
}
