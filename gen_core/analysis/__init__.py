"""What the app and the CLI measure and explore with trained models: latent paths and
projections, anomaly scores, sample-quality metrics, checkpoint reports, run diagnostics."""
