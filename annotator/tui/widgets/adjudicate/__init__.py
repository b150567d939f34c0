"""Widgets of the adjudication screen: the queue, the pair with every vote, the decision."""
