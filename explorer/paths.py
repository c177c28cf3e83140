"""Where things live. Imports nothing from the project so any module can use it."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW_DIR = ROOT / "data" / "raw"
STORE_DIR = ROOT / "data" / "store"
SOURCES_DIR = Path(__file__).resolve().parent / "sources"
GEOGRAPHY_DIR = Path(__file__).resolve().parent / "geography"

# Files inside the built store (see docs/ARCHITECTURE.md for their columns).
VALUES = "values.parquet"
INDICATORS = "indicators.parquet"
AREAS = "areas.parquet"
AREA_LINKS = "area_links.parquet"
SOURCES = "sources.parquet"
REJECTS = "rejects.parquet"
REVISIONS = "revisions.parquet"
BOUNDARIES_DIR = "boundaries"
MANIFEST = "manifest.json"
CACHE_DIR = ".cache"
# The area profile's precomputed tables (explorer/profile_tables.py).
PROFILE_HEADLINE = "profile_headline.parquet"
PROFILE_SPREAD = "profile_spread.parquet"
PROFILE_ENGLAND = "profile_england.parquet"
PROFILE_LATEST = "profile_latest.parquet"
PROFILE_PEERS = "profile_peer_values.parquet"
