"""Ratings: turning pairwise votes into leaderboards.

``ratings.core`` is the pure numerical part (numpy, scipy, choix only); the rest of the package
wires it to Django, Celery and Channels.
"""
