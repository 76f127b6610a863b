variable "name" {
  description = "Capacity provider and auto scaling group name (the topology module's gpu_capacity_provider)."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster the GPU instances join."
  type        = string
}

variable "max_instances" {
  description = "Ceiling of the GPU auto scaling group (topology sizes.gpu_max_instances); its minimum is 0."
  type        = number
}

variable "instance_type" {
  description = "GPU instance type (one NVIDIA GPU is enough for the active-learning pipeline)."
  type        = string
  default     = "g4dn.xlarge"
}

variable "subnet_ids" {
  description = "Private subnets of the GPU instances."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the instances (the tasks group: egress only)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the instances' EBS volumes."
  type        = string
}

variable "root_volume_gb" {
  description = "Root EBS volume size of a GPU instance, in GiB."
  type        = number
  default     = 100
}
