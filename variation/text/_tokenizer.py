"""Our own jieba tokenizers, never jieba's global one.

- `plain_tokenizer()`: jieba's default dictionary, as a duplicate detector would segment.
- `base_tokenizer()`: plain plus every lexicon word and fixed phrase, so synonym candidates
  and set expressions segment as units.
- `tokenizer_for(terms)`: base plus the editor's terms, a private copy cached per term set:
  adding terms to a shared tokenizer would make segmentation depend on which posts were
  varied before, breaking determinism.
"""

from __future__ import annotations

import copy
import functools

import jieba

from variation.text._lexicon import load_lexicon


def _extended(tokenizer: jieba.Tokenizer, words: tuple[str, ...]) -> jieba.Tokenizer:
    extended = copy.copy(tokenizer)
    extended.FREQ = dict(tokenizer.FREQ)
    extended.user_word_tag_tab = dict(tokenizer.user_word_tag_tab)
    for word in words:
        if extended.FREQ.get(word, 0) <= 0:
            extended.add_word(word, freq=extended.suggest_freq(word, tune=False))
    return extended


@functools.cache
def plain_tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@functools.cache
def base_tokenizer() -> jieba.Tokenizer:
    return _extended(plain_tokenizer(), load_lexicon().segmentation_words())


@functools.lru_cache(maxsize=32)
def tokenizer_for(terms: frozenset[str]) -> jieba.Tokenizer:
    return _extended(base_tokenizer(), tuple(sorted(terms))) if terms else base_tokenizer()


@functools.lru_cache(maxsize=8192)
def cut(text: str, terms: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Words of `text` for varying it (dictionary only, no HMM guessing of new words)."""
    return tuple(tokenizer_for(terms).cut(text, HMM=False))


@functools.lru_cache(maxsize=65536)
def detector_cut(text: str) -> tuple[str, ...]:
    """Words as a detector sees them: `jieba.lcut` with the default dictionary and HMM."""
    return tuple(plain_tokenizer().cut(text))
