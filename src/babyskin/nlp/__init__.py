"""Free-text reading: words -> findings, with medspaCy (TargetMatcher + ConText) and small regex readers.

Modules:

* ``rules``      the target and ConText rules: ``rules/*.json`` (medspaCy format) plus the knowledge
                 base's finding synonyms and condition names, merged and checked against the KB
* ``pipeline``   the spaCy pipeline (``spacy.blank("en")`` + sentencizer + TargetMatcher + ConText)
* ``normalize``  text clean-up: control characters, quotes, misspellings of emergency words
* ``quantities`` ages, prematurity, durations, onset, sizes and temperatures
* ``screen``     empty text, other languages, text that tries to instruct the system
* ``extract``    text -> mentions (with negation, uncertainty, history, other people) -> findings
* ``intent``     assess | question | compare | follow_up, and the question's topics

Nothing here is imported by the structured path (``babyskin assess``): spaCy loads only when text is read.
"""
