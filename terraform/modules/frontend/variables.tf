variable "bucket" {
  description = "The topology module's website bucket (buckets[\"frontend\"]): name, website, versioned."
  type = object({
    name      = string
    website   = bool
    versioned = bool
  })
}

variable "enable_cdn" {
  description = "Serve the bucket through CloudFront with origin access control (AWS). Off locally: the emulator serves the S3 website."
  type        = bool
  default     = true
}

variable "enable_waf" {
  description = "Put a WAFv2 web ACL (AWS managed rule sets + rate limit) in front of CloudFront."
  type        = bool
  default     = false
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one IP before the WAF blocks it."
  type        = number
  default     = 2000
}

variable "price_class" {
  description = "CloudFront price class (PriceClass_100: Europe and North America)."
  type        = string
  default     = "PriceClass_100"
}

variable "force_destroy" {
  description = "Allow destroying the bucket with its files (throw-away environments)."
  type        = bool
  default     = false
}
