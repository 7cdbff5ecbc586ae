"""Trainers: multi-task fine-tuning of the BBT model."""
