"""KMS behind the services that encrypt with a customer-managed key (SSE-KMS).

MiniStack serves the KMS API itself (keys, aliases, key policies, Encrypt/Decrypt,
GenerateDataKey) and evaluates key policies; what it lacks is the call S3 and Secrets Manager
make to KMS on the caller's behalf. :mod:`.data_keys` says which KMS permission an S3 or Secrets
Manager operation needs on its key; ``ministack_compat/kms.py`` checks it with the caller's
identity and the key's policy (``kms:ViaService`` set to the calling service).
"""
