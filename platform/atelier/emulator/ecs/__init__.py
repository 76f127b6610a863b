"""ECS tasks and services on the local runtime."""
