"""The factors the PROFILE LLM extractor measures, and the judges that ask about them: names
only, importable without the judge runner (the command line lists them in its options).

Two prompt sets (``PROMPT_SETS``): ``paper``, PROFILE's appendix D.2 prompts as printed
(judges ``profile-paper-*``; departures in docs/factors.md), and ``tool``, the tool's own
earlier wording (judges ``profile-*``). Fluency and Coherence use the tool's LLM ratings in
both (the paper scores them with UniEval, which does not run here).
"""

FACT_LABEL_JUDGES = {
    "off_focus": "profile-off-focus",
    "hallucination": "profile-hallucination",
    "helpfulness": "profile-helpfulness",
    "misinformation": "profile-misinformation",
    "source_coverage": "profile-source-coverage",
}
# factor key -> the judge that scores each response for it (yes / no, or a 1-5 rating)
RESPONSE_JUDGES = {
    "receptiveness": "profile-receptiveness",
    "intent_alignment": "profile-intent-alignment",
    "formality_alignment": "profile-formality-alignment",
    "fluency": "profile-fluency",
    "coherence": "profile-coherence",
}
COUNT_FACTORS = ("number_of_facts",)
LLM_FACTORS = (*COUNT_FACTORS, *FACT_LABEL_JUDGES, *RESPONSE_JUDGES)
NEEDS_SOURCE = ("hallucination", "source_coverage", "intent_alignment", "formality_alignment")

PAPER_FACT_LABEL_JUDGES = {key: name.replace("profile-", "profile-paper-") for key, name in FACT_LABEL_JUDGES.items()}
PAPER_RESPONSE_JUDGES = {**RESPONSE_JUDGES, **{key: RESPONSE_JUDGES[key].replace("profile-", "profile-paper-")
                                              for key in ("receptiveness", "intent_alignment", "formality_alignment")}}
# prompt set -> (facts judge, source facts judge, fact-label judges, response judges)
PROMPT_SETS = {
    "paper": ("profile-paper-facts", "profile-paper-source-facts", PAPER_FACT_LABEL_JUDGES, PAPER_RESPONSE_JUDGES),
    "tool": ("profile-facts", "profile-source-facts", FACT_LABEL_JUDGES, RESPONSE_JUDGES),
}
DEFAULT_PROMPTS = "paper"
