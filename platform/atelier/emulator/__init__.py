"""The Atelier runtime: MiniStack as the AWS control plane plus Atelier's compute agent."""
