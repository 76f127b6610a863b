output "policies" {
  description = "Role key => IAM policy JSON (least privilege)."
  value = {
    for key, stmts in local.statements :
    key => "{\"Version\":\"2012-10-17\",\"Statement\":[${join(",", stmts)}]}"
  }
}
