"""Compare the three implementations from their code and the contract suite: `python -m comparison`.

The report, reports/comparison.html and its Markdown twin reports/comparison.md, is
generated from the code itself (through the concept map, concepts.toml) and from a
live run of the contract suite, so that it cannot drift from either.
"""
