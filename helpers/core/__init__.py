"""Layer 1, the bottom: plain utilities that know nothing of models, data or training.

``paths`` (the repository root and the one cache), ``device`` (which device, in words),
``precision`` (the training precision per device), ``progress`` (the one progress switch),
``versions`` (the book's version, the git commit, library versions), ``atomic`` (file
writes), ``fingerprint`` (cache keys), ``figstyle`` (the width figures are drawn for) and
``cli`` (one-line command-line errors). Imports nothing from the rest of ``helpers``.
"""
