"""Inference shared by the models: the EM driver and its convergence monitor.

Models supply an E-step and an M-step; :func:`gdlab.inference.em.run_em` owns the
loop, the log-likelihood history, the convergence test and the warning.
"""
