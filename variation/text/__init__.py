"""Text variation: every rep's copy reads the same to a person and differs to a detector.

vary_text(text, *, seed, protected=(), options=TextOptions()) -> TextVariant
issue_text_copies(master, rep_keys, *, seed_prefix, issued=(), ...) -> list[TextVariant]
fold_risk(text) -> FoldRisk
"""

from variation.text._batch import issue_text_copies
from variation.text._fingerprint import Fingerprint, FingerprintIndex, fingerprint, normalise
from variation.text._foldrisk import fold_risk
from variation.text._lexicon import Lexicon, load_lexicon
from variation.text._protect import find_protected
from variation.text._spintax import has_spintax, parse_spintax
from variation.text._tokenizer import base_tokenizer
from variation.text._types import Edit, FoldRisk, Span, TextOptions, TextVariant
from variation.text._vary import vary_text

__all__ = [
    "Edit",
    "Fingerprint",
    "FingerprintIndex",
    "FoldRisk",
    "Lexicon",
    "Span",
    "TextOptions",
    "TextVariant",
    "base_tokenizer",
    "find_protected",
    "fingerprint",
    "fold_risk",
    "has_spintax",
    "issue_text_copies",
    "load_lexicon",
    "normalise",
    "parse_spintax",
    "vary_text",
]
