"""The bootstrap of a ranked task resamples items: the pairs expanded from one ranking are
drawn together (they are not independent)."""

from __future__ import annotations

import numpy as np

from annotator.analysis.bootstrap import Resampler, cluster_codes


def test_units_of_one_cluster_are_drawn_together():
    codes = cluster_codes(np.array([10, 11, 12, 13, 14]), {10: 7, 11: 7, 13: 9, 14: 9})
    assert codes.tolist() == [0, 0, 1, 2, 2]  # pair 12 has no item: a cluster of its own
    weights = Resampler(5, 300, seed=3, clusters=codes).weights
    assert (weights[:, 0] == weights[:, 1]).all() and (weights[:, 3] == weights[:, 4]).all()
    clusters = weights[:, [0, 2, 3]]
    assert (clusters.sum(axis=1) == 3).all()  # three clusters drawn per resample
    assert not (weights[:, 0] == weights[:, 2]).all()


def test_one_unit_per_cluster_is_the_ordinary_bootstrap():
    plain = Resampler(6, 50, seed=1).weights
    clustered = Resampler(6, 50, seed=1, clusters=np.arange(6)).weights
    assert (plain == clustered).all()
