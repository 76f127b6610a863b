"""ECS on the runtime: tasks and services MiniStack records, run by the compute agent."""
