"""gdlab models: generative, discriminative and hybrid, under one contract."""
