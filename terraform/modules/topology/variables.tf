variable "topology_path" {
  description = "Path to topology.yaml, the one description of the platform (the repository root's by default)."
  type        = string
  default     = "../../../topology.yaml"
}

variable "env" {
  description = "Environment to expand: a key of topology.yaml's environments (local, qa, preprod, prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,11}$", var.env))
    error_message = "env must be a short lowercase name such as local, qa, preprod or prod."
  }
}
