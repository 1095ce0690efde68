"""classifier: from dsp bursts to classified events, session summaries and their evaluation.

``classify`` / ``Classifier`` turn ``dsp.Burst`` objects into ``dsp.Event``
objects (fasciculation, cramp, voluntary, artifact) with a confidence and the
evidence in words; ``summarize_session`` condenses a session's events into a
``SessionSummary``; ``score_events`` scores predictions against ground truth
(science.md §3.6) into an ``EvalResult``.
"""

from classifier._classify import Classifier, classify
from classifier.scoring import EvalResult, score_events
from classifier.session import summarize_session

__all__ = ["Classifier", "EvalResult", "classify", "score_events", "summarize_session"]
