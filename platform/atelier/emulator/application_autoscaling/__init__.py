"""Application Auto Scaling, which MiniStack 1.5.33 does not have, served by the runtime.

The API (``AnyScaleFrontendService.*``, JSON 1.1, signed ``application-autoscaling``) keeps
scalable targets, scaling policies and tags per account and region (:mod:`.backend`,
:mod:`.responses`); the scaler (:mod:`.scaler`) acts on them for ECS services: it keeps a
service's ``desiredCount`` between the target's min and max and follows each target tracking
policy's metric (:mod:`.target_tracking`), measured on the service's task processes
(:mod:`.cpu`) or read from CloudWatch for a customized metric. What is simplified against AWS
is listed in docs/architecture.md ("Application Auto Scaling").

The package itself holds only what the runtime's middleware routes on, so that routing does not
load the API before its first call.
"""

TARGET_PREFIX = "AnyScaleFrontendService."
