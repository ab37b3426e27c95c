"""Text variation: every rep's copy reads the same to a person and differs to a detector.

vary_text(text, *, seed, protected=(), options=TextOptions(), voice=Voice(), ...) -> TextVariant
issue_text_copies(master, rep_keys, *, seed_prefix, issued=(), voice=Voice(), ...)
    -> list[TextVariant]
batch_clears(copy, others, *, master=None, ...) -> bool          the one batch rule
detector_report(copies, master, *, bodies=None, ...) -> DetectorReport
split_sentences / parse_sentence_spintax / sentences_to_spintax / count_bodies
fold_risk(text) -> FoldRisk                  (TextVariant.fold_risk() for a copy)
Rewrites: variation.text.placeholders (mask_protected, restore_placeholders) and
variation.text.gates (rewrite_rejections).
"""

from variation.text._batch import issue_text_copies
from variation.text._detector import DetectorReport, detector_report
from variation.text._diversity import BodyDiversity, IssuedText, batch_clears, copy_body
from variation.text._fingerprint import Fingerprint, FingerprintIndex, fingerprint, normalise
from variation.text._foldrisk import fold_risk
from variation.text._lexicon import Lexicon, load_lexicon
from variation.text._protect import find_protected
from variation.text._spintax import has_spintax, parse_spintax
from variation.text._tokenizer import base_tokenizer
from variation.text._types import (
    FRAME_LINES,
    PARTICLE_LEVELS,
    Edit,
    FoldRisk,
    Span,
    TextOptions,
    TextVariant,
    Voice,
)
from variation.text._vary import vary_text
from variation.text.gates import Rejection, plain_rewrite_rejections, rewrite_rejections
from variation.text.placeholders import Masked, mask_protected, restore_placeholders
from variation.text.sentences import (
    Sentence,
    count_bodies,
    parse_sentence_spintax,
    sentences_to_spintax,
    split_sentences,
)

__all__ = [
    "FRAME_LINES",
    "PARTICLE_LEVELS",
    "BodyDiversity",
    "DetectorReport",
    "Edit",
    "Fingerprint",
    "FingerprintIndex",
    "FoldRisk",
    "IssuedText",
    "Lexicon",
    "Masked",
    "Rejection",
    "Sentence",
    "Span",
    "TextOptions",
    "TextVariant",
    "Voice",
    "base_tokenizer",
    "batch_clears",
    "copy_body",
    "count_bodies",
    "detector_report",
    "find_protected",
    "fingerprint",
    "fold_risk",
    "has_spintax",
    "issue_text_copies",
    "load_lexicon",
    "mask_protected",
    "normalise",
    "parse_sentence_spintax",
    "parse_spintax",
    "plain_rewrite_rejections",
    "restore_placeholders",
    "rewrite_rejections",
    "sentences_to_spintax",
    "split_sentences",
    "vary_text",
]
