"""emgwatch: tells fasciculations from cramps in surface EMG (the app layer)."""

__version__ = "0.1.0"
