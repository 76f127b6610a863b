variable "network" {
  description = "The topology module's network output: VPC name and CIDR, private subnets (name => CIDR), security group names by role."
  type = object({
    vpc_name        = string
    cidr            = string
    private_subnets = map(string)
    security_groups = map(string)
  })
}

variable "name_prefix" {
  description = "Resource name prefix, atelier-<env>- (the topology module's prefix output)."
  type        = string
}

variable "service_port" {
  description = "Port the ECS service containers listen on (ALB -> service)."
  type        = number
  default     = 8080
}

variable "db_port" {
  description = "PostgreSQL port (service/tasks -> RDS)."
  type        = number
  default     = 5432
}

variable "enable_nat" {
  description = "Give private subnets internet egress through one NAT gateway (tasks fetch http(s) links). Off locally."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the VPC flow log group, in days."
  type        = number
}
