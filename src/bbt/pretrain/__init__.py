"""T5 pre-training pipeline: corpus streaming, source weighting, joint text + series examples."""
