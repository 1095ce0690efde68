"""The knowledge base (what twitches and cramps are, causes, relief, red flags) and the
advice rules that map a session's observations to it.

``load_knowledge_base`` reads and checks ``knowledge_base.toml`` (shipped as package
data); ``advise`` turns a ``SessionSummary`` (and optionally the ``History``) into
``AdviceBlock`` objects; ``format_advice`` renders them for a terminal.
"""

from classifier.knowledge._kb import Entry, KnowledgeBase, Source, load_knowledge_base
from classifier.knowledge.advice import ADVICE_LEVELS, AdviceBlock, advise, format_advice

__all__ = [
    "ADVICE_LEVELS",
    "AdviceBlock",
    "Entry",
    "KnowledgeBase",
    "Source",
    "advise",
    "format_advice",
    "load_knowledge_base",
]
