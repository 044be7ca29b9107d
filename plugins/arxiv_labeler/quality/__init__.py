"""Trust in the labels: data-quality checks per run, the confidence policy, model comparison."""
