"""The researcher's dashboard: progress, annotators, agreement, disputed pairs, judges."""
