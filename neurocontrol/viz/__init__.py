"""What a run shows: plots (PNG), hand paths, videos, the live view and live TensorBoard logs."""
