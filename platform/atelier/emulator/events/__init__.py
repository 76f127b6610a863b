"""EventBridge behaviour MiniStack lacks: ECS RunTask targets of rules and schedules."""
