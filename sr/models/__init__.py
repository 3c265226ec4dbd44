"""Neural networks of the super-resolution pipelines."""
