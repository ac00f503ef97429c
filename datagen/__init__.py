"""Synthetic, signed webhook traffic with known ground truth."""
