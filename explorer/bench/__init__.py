"""Performance at scale: `python -m explorer.bench` (see __main__ and BENCHMARKS.md, "Performance
at scale"). synthetic: a store of N rows with the real store's shape; queries: the pages'
functions timed per interaction; duck: the same queries in DuckDB; pages: Chromium timing;
build_time: full and one-source builds on copies."""
