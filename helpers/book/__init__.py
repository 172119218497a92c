"""Layer 6, the top: what the pages use. Colab ``setup``, ``plots``, ``context_plots``,
``diagrams`` (with ``arch_spec``), ``widgets``, ``tables``, ``paste`` (glue),
``provenance`` (caption lines), ``repro_card``, ``reference_panels`` and the
``imagenet_demo``. Nothing below imports from here.
"""
