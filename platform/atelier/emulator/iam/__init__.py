"""IAM behaviour the runtime adds to MiniStack's evaluator: the ECS task-role session."""
