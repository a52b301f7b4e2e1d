"""Matching of needs and listings, with a score a person can read: the words compared
(terms.py), their rarity (corpus.py), the weighted parts of the score and their reasons
(score.py), the candidates ranked by it (candidates.py), and the Match rows kept (run.py)."""

from sharing.techmarket.matching.candidates import matches_for_listing, matches_for_need
from sharing.techmarket.matching.corpus import cached_corpus, corpus, corpus_warm, forget_corpus
from sharing.techmarket.matching.run import listing_rematch, need_rematch

__all__ = [
    "cached_corpus",
    "corpus",
    "corpus_warm",
    "forget_corpus",
    "listing_rematch",
    "matches_for_listing",
    "matches_for_need",
    "need_rematch",
]
