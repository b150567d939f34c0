"""The factors the PROFILE LLM extractor measures, and the judges that ask about them: names
only, importable without the judge runner (the command line lists them in its options)."""

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
