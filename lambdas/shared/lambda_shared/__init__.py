"""Domain code shared by the Atelier lambdas, shipped as one Lambda layer (``python/lambda_shared``).

The handlers in ``lambdas/<name>/handler.py`` only route and format; everything they do lives
here. ``hash_password`` and ``create_user`` are also what ``atelier deploy`` uses to create the
API user, so the deployer and the auth lambda can never disagree on the hash format.
"""

from lambda_shared.passwords import hash_password, verify_password
from lambda_shared.users import create_user

__all__ = ["create_user", "hash_password", "verify_password"]
