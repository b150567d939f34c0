"""Defaults of the agreement report, importable without the statistics stack (the CLI's options use them)."""

DEFAULT_RESAMPLES = 1000  # bootstrap resamples over pairs ...
BOOTSTRAP_BUDGET = 50_000_000  # ... or fewer, so that resamples x pairs stays within this
MIN_AUTO_RESAMPLES = 200
AUTO_RESAMPLES_RULE = (f"{DEFAULT_RESAMPLES:,} resamples, fewer on large tasks so that resamples x pairs stays "
                       f"under {BOOTSTRAP_BUDGET:,} (at least {MIN_AUTO_RESAMPLES}); --bootstrap N to choose")


def auto_resamples(n_units: int) -> int:
    """The default number of bootstrap resamples for ``n_units`` pairs (``AUTO_RESAMPLES_RULE``):
    1,000 up to 50,000 pairs, then fewer (500 at 100,000): intervals on that many pairs are
    narrow, and the resamples are most of a report's time and memory."""
    if n_units <= 0:
        return DEFAULT_RESAMPLES
    return max(MIN_AUTO_RESAMPLES, min(DEFAULT_RESAMPLES, BOOTSTRAP_BUDGET // n_units))
DEFAULT_BT_RESAMPLES = 200  # bootstrap resamples of the leaderboard's Bradley-Terry intervals (`stats leaderboard`)
DISPUTED_LIMIT = 10  # how many of the most disputed pairs a report lists
ADJUDICATION_THRESHOLD = 0.6  # a pair needs adjudication when its majority holds less of the votes
JURY_RULES = ("majority", "mean-p")  # how a jury combines its members (``jury``)

# How a judge's verdicts in the two presented orders combine (``verdicts`` documents each).
ORDER_RULES = ("both", "judgebench", "first", "mean", "mt-bench")
DEFAULT_ORDER_RULE = "both"
ORDER_RULE_TEXT = {
    "both": "a verdict counts when both presented orders agree; a pair whose verdict changes with "
            "the order is an inconsistency (no verdict, counted, never dropped; a draw in win rates)",
    "judgebench": "JudgeBench's rule: +1 per order for A, -1 for B, 0 for a tie or no verdict; the sign "
                  "of the sum is the verdict (one decisive order plus a tie is decisive)",
    "first": "the verdict in the first presented order (A shown first) only",
    "mean": "the mean of P(A) over the presented orders (a hard verdict read as 1 / 0.5 / 0): "
            "above 0.5 is A, below B, 0.5 a tie",
    "mt-bench": "MT-Bench's rule: a verdict that changes with the presented order counts as a tie",
}

# Where a factor's manifestation M_k on a pair comes from (PROFILE factors): one named rule for
# every command (``stats judges``, ``report``, ``stats factors``, ``experiment guide``, the
# dashboard). ``factor_report.manifestation_table`` is the one function that applies it.
FACTOR_SOURCES = ("extractors", "checklist")
DEFAULT_FACTOR_SOURCE = "extractors"
FACTOR_SOURCE_TEXT = {
    "extractors": "M_k from the extracted factor values (`annotator factors extract`): per factor one extractor, "
                  "the rules first, then PROFILE's LLM extractors (profile:*), then factor-compare runs (llm:*)",
    "checklist": "M_k from the annotators' checklist answers (their majority; tied answers leave the pair unknown)",
}
MISALIGNMENT = 0.3  # a judge's factor score this far from the humans' is misaligned ...
MIN_SCORE = 0.1  # ... and so is one of the other sign, when both are at least this far from 0

# What a judge is compared with where one human label per pair is needed (kappa with the
# majority, calibration, length bias against the humans, factor scores, disagreements).
REFERENCES = ("adjudicated", "majority")
DEFAULT_REFERENCE = "adjudicated"
REFERENCE_TEXT = {
    "adjudicated": "the adjudicator's label where a pair was adjudicated (`annotator adjudicate`), else the "
                   "annotators' majority",
    "majority": "the annotators' majority vote only (adjudications ignored)",
}

# -- every other default that shapes a number (each module imports its own from here) ---------
ALT_EPSILON = 0.2  # alternative annotator test: how much worse than an annotator a judge may be
ALT_ALPHA = 0.05  # ... its false discovery rate (Benjamini-Yekutieli)
ALT_MIN_PAIRS = 30  # ... annotators sharing fewer pairs are left out (the paper's minimum for its t-test)
CALIBRATION_BINS = 10  # equal-width bins of P(A) for the expected calibration error
LENGTH_THRESHOLD = 0.1  # "clearly longer": lengths differing by more than 10 % of the longer response
TARGET_HALF_WIDTH = 0.03  # labels needed for an agreement interval of +- 3 points
NEUTRAL_BAND = 0.1  # experiment guidance: a human factor score within +-0.1 is "neutral"
MIN_CORRELATION_PAIRS = 3  # factor correlation matrix: fewer shared pairs leave tau_b undefined
MIN_DEFINED_SHARE = 0.5  # a bootstrap interval needs this share of resamples with a defined value


def judge_defaults(*, epsilon: float = ALT_EPSILON, alpha: float = ALT_ALPHA, alt_min_pairs: int = ALT_MIN_PAIRS,
                   length_threshold: float = LENGTH_THRESHOLD) -> dict[str, float | int]:
    """The defaults a judge report's figures depend on, as the report prints them."""
    return {"alt_test_epsilon": epsilon, "alt_test_alpha": alpha, "alt_test_min_pairs": alt_min_pairs,
            "calibration_bins": CALIBRATION_BINS, "length_threshold": length_threshold,
            "labels_needed_half_width": TARGET_HALF_WIDTH, "misalignment": MISALIGNMENT,
            "misalignment_min_score": MIN_SCORE, "adjudication_threshold": ADJUDICATION_THRESHOLD}

# The length-controlled win rate (``winrate``; docs/judge-validation.md, "Length-controlled win rate").
MIN_LC_PREFERENCES = 50  # fewer preferences of a candidate against the baseline: no LC (undefined, with the reason)
LC_DIFFICULTY_RIDGE = 0.001  # L2 penalty on the instruction difficulties (keeps an instruction every candidate lost finite)
# AlpacaEval's length_controlled_v1 fits each model's own length and difficulty coefficients,
# regularised towards a reference (its two length-gamed versions of the baseline, weight 0.2);
# here the reference is the task's other candidates: each candidate's coefficients are pulled
# towards the candidates' mean length coefficient and a difficulty coefficient of 1 by this
# L2 penalty (on the logit scale). 0 fits them freely; a huge value shares one length term.
LC_COEFFICIENT_POOLING = 10.0

# A factor hint ("the judge weighs F unlike the humans; guidance on it raises agreement") only
# when the judge's and the humans' factor scores each rest on at least this many pairs with
# a known manifestation M_k (docs/factors.md): a score from two pairs is +-1 by chance.
MIN_FACTOR_HINT_PAIRS = 30

# How a "both bad" label (a task whose `choices` offer "both_bad") reaches every statistic that
# reads human choices (``--both-bad``; applied where the store reads the labels,
# ``store.labels.with_both_bad_rule``). MT-Bench's human judgments count "tie (bothbad)" as a tie.
BOTH_BAD_RULES = ("tie", "exclude")
DEFAULT_BOTH_BAD = "tie"
BOTH_BAD_TEXT = {
    "tie": "both bad counted as tie (--both-bad tie)",
    "exclude": "both bad left out of every statistic (--both-bad exclude)",
}
