"""Layer 5: the book's experiments. ``profiles`` (compute budgets), ``cache`` (trained
models shared across chapters), ``budget`` (GPU time estimates), ``paper_results`` (the
papers' numbers), and the reference runs of ``python -m helpers.reproduce``: ``results``
(schema, provenance, the list of parts), ``context`` and ``tasks`` (one task per part),
``reproduce`` (plan and run), ``reference``, ``verdicts`` and ``caption`` (reading runs
back, the sentences the pages print); ``bench`` measures throughput. Imports only from layers below.
"""
