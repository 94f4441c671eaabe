"""The command line: commands, views, output, prompts, the error boundary. Nothing else."""
