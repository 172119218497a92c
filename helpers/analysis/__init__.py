"""Layer 4: analyses of networks and runs (layer arithmetic, gradients, complexity,
latency, residual responses, lesions, attributions), each with the figure that shows it.
Imports from ``core``, ``models``, ``data`` and ``train``.
"""
