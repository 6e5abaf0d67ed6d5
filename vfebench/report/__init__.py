"""Reports over run records: the paper's tables (Markdown / LaTeX / HTML), statistics, plots.

- :mod:`vfebench.report.tables`: Table 1 / 2 / 3 layouts, best bold + second underlined,
  per-metric precision, optional published rows from ``results/reference/``.
- :mod:`vfebench.report.stats`: bootstrap confidence intervals over clips, paired tests.
- :mod:`vfebench.report.plots`: quality vs time, per-clip distributions, temporal profiles.
- :mod:`vfebench.report.html`: a self-contained HTML page (plots inlined as base64 PNG).
"""
